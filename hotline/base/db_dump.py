"""Consistent copies of the database while the hotline runs: SQLite's online backup API, or
`pg_dump`/`pg_restore` for PostgreSQL. Used before an automatic schema upgrade and by
`run.py backup` / `run.py restore`. A plain file copy of a live SQLite database in WAL mode can
miss committed pages; the backup API cannot.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from hotline.base.private_files import private_file


class DumpError(Exception):
    """A copy could not be made or put back; the message says which tool failed and why."""


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL; None for PostgreSQL or an in-memory database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def backup_sqlite(source: Path, dest: Path) -> None:
    """Copy a live SQLite database page by page into `dest` (0600), consistent as of one moment."""
    private_file(dest)
    src = sqlite3.connect(source)
    try:
        out = sqlite3.connect(dest)
        try:
            src.backup(out)
        finally:
            out.close()
    finally:
        src.close()


def _libpq_url(url: str) -> str:
    """pg_dump speaks libpq URIs: no SQLAlchemy driver suffix."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def current_schema(url: str) -> str:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as c:
            return str(c.scalar(text("SELECT current_schema()")))
    finally:
        engine.dispose()


def _tool(name: str) -> str:
    found = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None)
    if not found:
        raise DumpError(f"{name} not found: install the PostgreSQL client (apt-get install postgresql-client)")
    return found


def pg_dump(url: str, dest: Path) -> str:
    """Dump the hotline's schema (the one on its search_path) in pg_dump's custom format; returns it."""
    schema = current_schema(url)
    private_file(dest)
    run = subprocess.run([_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                          f"--schema={schema}", f"--file={dest}", "--dbname", _libpq_url(url)],
                         capture_output=True, text=True, check=False)
    if run.returncode != 0:
        raise DumpError(f"pg_dump failed ({run.returncode}): {run.stderr.strip()}")
    return schema


def pg_restore(url: str, source: Path) -> None:
    """Put a dump back: its schema's tables are dropped and recreated from the dump."""
    run = subprocess.run([_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
                          "--single-transaction", "--dbname", _libpq_url(url), str(source)],
                         capture_output=True, text=True, check=False)
    if run.returncode != 0:
        raise DumpError(f"pg_restore failed ({run.returncode}): {run.stderr.strip()}")
