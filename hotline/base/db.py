"""Database engine and sessions: SQLite (WAL) by default, PostgreSQL when configured."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from hotline.base import (
    callout_models,  # noqa: F401  (its tables join Base.metadata)
    rota_override_models,  # noqa: F401  (overrides made from the console)
    search_models,  # noqa: F401  (the full-text index of incidents)
)
from hotline.base.models import Base
from hotline.base.private_files import private_file


def make_engine(url: str) -> Engine:
    """SQLite gets WAL and a busy timeout so the web and worker processes can share it."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            private_file(Path(path))  # 0600 in a 0700 folder: it holds every caller's number
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


def create_schema(engine: Engine) -> None:
    """Create every table (idempotent)."""
    for attempt in range(5):
        try:
            Base.metadata.create_all(engine)
            return
        except DBAPIError:
            # Two processes starting at once (gunicorn workers) race to create the same
            # table; the loser finds it there on the next pass.
            if attempt == 4:
                raise
            time.sleep(0.1 * (attempt + 1))


class Database:
    def __init__(self, url: str, engine: Engine | None = None):
        self.url = url
        self.engine = engine or make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One unit of work: commit on success, roll back on any error."""
        s = self.sessions()
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise
        finally:
            s.close()
