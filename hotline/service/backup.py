"""`python3 run.py backup DIR` and `python3 run.py restore DIR [--overwrite]`.

A backup folder holds everything needed to bring a hotline back on another machine:
    manifest.json             what is in it, with a sha256 and size for every file
    database/hotline.db       SQLite, copied with the online backup API (consistent while running)
    database/hotline.pgdump   or PostgreSQL, pg_dump's custom format of the hotline's schema
    recordings/...            callers' recordings and the recorded prompts (the recordings dir)
    data/pins.json            the hashed PINs, when set
The database is copied first: a recording stored while the backup runs may be in recordings/
without its row, never the other way round.

Restore checks every checksum before it writes anything, refuses a data dir that already holds
a hotline unless told `--overwrite`, and refuses while a hotline runs on that data dir.
Recording rows name their files by absolute path, so restore points them at the new folder.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text

from hotline.base import schema
from hotline.base.config import Config
from hotline.base.db import Database
from hotline.base.db_dump import backup_sqlite, pg_dump, pg_restore, sqlite_path
from hotline.base.models import AuditEvent, Incident, Recording, utcnow
from hotline.base.private_files import private_dir

FORMAT = 1
MANIFEST = "manifest.json"
DATA_FILES = ("pins.json",)


class BackupError(Exception):
    """The backup or restore cannot go on; the message says why and what to do."""


@dataclass(frozen=True)
class Summary:
    incidents: int
    recordings: int
    audit_events: int
    files: int

    def __str__(self) -> str:
        return (f"{self.incidents} incidents, {self.recordings} recordings, {self.audit_events} audit rows, "
                f"{self.files} files")


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def counts(db: Database) -> dict[str, int]:
    with db.session() as s:
        return {name: int(s.scalar(select(func.count()).select_from(model)) or 0)
                for name, model in (("incidents", Incident), ("recordings", Recording), ("audit_events", AuditEvent))}


def backup(cfg: Config, dest: Path) -> Summary:
    if dest.exists() and any(dest.iterdir()):
        raise BackupError(f"{dest} is not empty: give a new folder for each backup")
    private_dir(dest)
    db = Database(cfg.database_url)
    try:
        state = schema.current(db.engine)
        sqlite = sqlite_path(cfg.database_url)
        if sqlite is not None:
            backup_sqlite(sqlite, dest / "database" / "hotline.db")
            database = {"kind": "sqlite", "file": "database/hotline.db"}
        else:
            pg_schema = pg_dump(cfg.database_url, dest / "database" / "hotline.pgdump")
            database = {"kind": "postgresql", "file": "database/hotline.pgdump", "schema": pg_schema}
        rows = counts(db)
    finally:
        db.engine.dispose()
    if cfg.recordings_dir.is_dir():
        shutil.copytree(cfg.recordings_dir, dest / "recordings", symlinks=False,
                        ignore=shutil.ignore_patterns("*.part", "*.tmp"))
    for name in DATA_FILES:
        if (cfg.data_dir / name).is_file():
            private_dir(dest / "data")
            shutil.copy2(cfg.data_dir / name, dest / "data" / name)
    files = {str(p.relative_to(dest)): {"sha256": sha256(p), "size": p.stat().st_size}
             for p in sorted(dest.rglob("*")) if p.is_file()}
    manifest = {"format": FORMAT, "created_at": utcnow().isoformat(), "schema_revision": state.current,
                "database": database, "recordings_dir": str(cfg.recordings_dir.resolve()), "counts": rows,
                "files": files}
    (dest / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
    return Summary(rows["incidents"], rows["recordings"], rows["audit_events"], len(files))


def read_manifest(source: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((source / MANIFEST).read_text())
    except FileNotFoundError:
        raise BackupError(f"{source} has no {MANIFEST}: not a backup made by `run.py backup`") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{source}: backup format {manifest.get('format')!r}, this code reads {FORMAT}")
    return manifest


def verify(source: Path, manifest: dict[str, Any]) -> None:
    """Every file the manifest names is there with its checksum, and no other file was added."""
    bad = [f"{rel}: missing" if not (source / rel).is_file() else f"{rel}: checksum differs"
           for rel, meta in manifest["files"].items()
           if not (source / rel).is_file() or sha256(source / rel) != meta["sha256"]]
    extra = sorted(str(p.relative_to(source)) for p in source.rglob("*")
                   if p.is_file() and p.name != MANIFEST and str(p.relative_to(source)) not in manifest["files"])
    bad += [f"{rel}: not in the manifest" for rel in extra]
    if bad:
        raise BackupError(f"{source} is damaged, nothing was restored:\n  " + "\n  ".join(bad))


def occupied(cfg: Config) -> list[str]:
    """What in the target says a hotline already lives there."""
    found = []
    db_file = sqlite_path(cfg.database_url)
    if db_file is not None and db_file.exists() and db_file.stat().st_size > 0:
        found.append(f"database {db_file}")
    if db_file is None:
        db = Database(cfg.database_url)
        try:
            state = schema.current(db.engine)
        finally:
            db.engine.dispose()
        if not state.empty:
            found.append(f"database {schema.redact(cfg.database_url)} ({state.describe()})")
    if cfg.recordings_dir.is_dir() and any(p.is_file() for p in cfg.recordings_dir.rglob("*")):
        found.append(f"recordings in {cfg.recordings_dir}")
    found += [f"{cfg.data_dir / n}" for n in DATA_FILES if (cfg.data_dir / n).exists()]
    return found


def restore(cfg: Config, source: Path, overwrite: bool = False) -> Summary:
    manifest = read_manifest(source)
    verify(source, manifest)
    there = occupied(cfg)
    if there and not overwrite:
        raise BackupError("the target already holds a hotline: " + "; ".join(there)
                          + ". Fix: restore into a fresh data dir (HOTLINE_DATA_DIR), or add --overwrite to replace it")
    database = manifest["database"]
    target = sqlite_path(cfg.database_url)
    if database["kind"] == "sqlite":
        if target is None:
            raise BackupError("this backup holds a SQLite database, but DATABASE_URL names PostgreSQL: restore it "
                              "into a SQLite instance, then move the data with your own tools")
        private_dir(target.parent)
        for stale in (target.with_name(target.name + "-wal"), target.with_name(target.name + "-shm")):
            stale.unlink(missing_ok=True)
        backup_sqlite(source / database["file"], target)
    else:
        if target is not None:
            raise BackupError("this backup holds a PostgreSQL dump: set DATABASE_URL to the PostgreSQL to restore into")
        pg_restore(cfg.database_url, source / database["file"])
    if (source / "recordings").is_dir():
        private_dir(cfg.recordings_dir)
        shutil.copytree(source / "recordings", cfg.recordings_dir, dirs_exist_ok=True)
    for name in DATA_FILES:
        if (source / "data" / name).is_file():
            private_dir(cfg.data_dir)
            shutil.copy2(source / "data" / name, cfg.data_dir / name)
    db = Database(cfg.database_url)
    try:
        _repoint_recordings(db, manifest["recordings_dir"], str(cfg.recordings_dir.resolve()))
        rows = counts(db)
    finally:
        db.engine.dispose()
    return Summary(rows["incidents"], rows["recordings"], rows["audit_events"], len(manifest["files"]))


def _repoint_recordings(db: Database, old: str, new: str) -> None:
    """Recording rows hold absolute paths: move those under the old recordings dir to the new one."""
    if old.rstrip("/") == new.rstrip("/"):
        return
    old = old.rstrip("/") + "/"
    with db.session() as s:
        s.execute(text("UPDATE recordings SET path = :new || substr(path, :cut) WHERE substr(path, 1, :n) = :old"),
                  {"new": new.rstrip("/") + "/", "cut": len(old) + 1, "n": len(old), "old": old})
