"""Database engine and sessions: SQLite (WAL) by default, PostgreSQL when configured."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Executable, Row, Table, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from hotline.base.private_files import private_file
from hotline.base.sqlite_gate import connection_factory, gate_for

BUSY_TIMEOUT = 30.0  # seconds a writer waits for another before SQLite gives up
# Keyed by the schema too: the scale-out tests run several hotlines in one database.
_HOLD_NAME = text("SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':' || :name))")


def make_engine(url: str) -> Engine:
    """SQLite gets WAL, a busy timeout and a write gate so the web and worker processes can share it."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        connect_args: dict[str, Any] = {"timeout": BUSY_TIMEOUT, "check_same_thread": False}
        if path and path != ":memory:":
            private_file(Path(path))  # 0600 in a 0700 folder: it holds every caller's number
            gate = gate_for(private_file(Path(path + "-writer.lock")), BUSY_TIMEOUT)
            connect_args["factory"] = connection_factory(gate)  # writers queue, not poll (sqlite_gate)
        engine = create_engine(url, connect_args=connect_args)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
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
    """Bring the schema to the code's head with its migrations, once across processes starting
    together (SQLite: after a backup; PostgreSQL: a fresh database only). Raises SchemaError when
    the database cannot be used as it is; see hotline.base.schema."""
    from hotline.base.schema import prepare  # its migrations import this module

    load_models()
    prepare(engine)


def hold_names(s: Session, names: Iterable[str]) -> None:
    """Hold each name until the transaction ends, so two transactions that must not both act for
    one thing (one person's phone) take turns; the second then reads what the first committed.
    On PostgreSQL a transaction-scoped advisory lock per name, taken in sorted order so two holders
    never deadlock; SQLite's writers take turns already (the write gate), so nothing to do."""
    connection = s.connection()
    if connection.dialect.name != "postgresql":
        return
    for name in sorted(set(names)):
        connection.execute(_HOLD_NAME, {"name": name})


def load_models() -> None:
    """Every feature's tables joined to `Base.metadata`: each feature lists its models in the
    registry, and loading the registry imports them."""
    from hotline.base.registry import registry

    registry()


class Database:
    def __init__(self, url: str, engine: Engine | None = None):
        load_models()
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


def insert_if_absent(s: Session, table: Table, key: str, values: dict[str, Any], *returning: str) -> Row[Any] | None:
    """INSERT a row unless one with the same unique `key` exists (ON CONFLICT DO NOTHING), in one
    statement: the new row's `returning` columns, or None when it was there already. Twilio
    retries callbacks and two of them may race; both win, and neither needs a savepoint."""
    connection = s.connection()
    return connection.execute(_insert_if_absent(connection.dialect.name, table, key, returning), values).first()


@functools.cache
def _insert_if_absent(dialect: str, table: Table, key: str, returning: tuple[str, ...]) -> Executable:
    """Built once per table: building a statement costs more than running it on SQLite."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(table).on_conflict_do_nothing(index_elements=[key]).returning(*(table.c[c] for c in returning))
