"""The one place that says which PostgreSQL the tests use, and what happens when there is none.

On a developer machine without a server, PostgreSQL tests are skipped with the reason. CI sets
HOTLINE_REQUIRE_POSTGRES=1 (.ci/run), and there a missing server fails them: a skipped
database test must never pass for a run of it.
"""

from __future__ import annotations

import functools
import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from hotline.base.db import Database, create_schema

POSTGRES_URL = os.environ.get("HOTLINE_TEST_POSTGRES", "postgresql://root@127.0.0.1:5432/test")
REQUIRE_ENV = "HOTLINE_REQUIRE_POSTGRES"


def sqlalchemy_url() -> str:
    """POSTGRES_URL with the psycopg 3 driver named, for create_engine."""
    return POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1)


@functools.cache
def unavailable_reason() -> str | None:
    """None when the server answers; else why not, in one line. Asked once per test session."""
    engine = create_engine(sqlalchemy_url(), connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as c:
            c.execute(text("SELECT 1"))
        return None
    except Exception as exc:  # noqa: BLE001 - whatever the cause, the reason is shown to the developer
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"no PostgreSQL at {POSTGRES_URL} ({first})"
    finally:
        engine.dispose()


def require_postgres() -> None:
    """Skip the calling test (or fixture) without a server; fail it instead in CI."""
    reason = unavailable_reason()
    if reason is None:
        return
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{reason}; {REQUIRE_ENV}=1 requires PostgreSQL", pytrace=False)
    pytest.skip(f"{reason}; set HOTLINE_TEST_POSTGRES=postgresql://user@host/db or run .ci/run")


def postgres_schema_url() -> tuple[str, Callable[[], None]]:
    """A fresh schema per harness, so test runs never see each other's rows."""
    require_postgres()
    schema = "t_" + secrets.token_hex(6)
    admin = create_engine(sqlalchemy_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f"CREATE SCHEMA {schema}"))

    def drop() -> None:
        with admin.connect() as c:
            c.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()

    return f"{POSTGRES_URL}?options=-csearch_path%3D{schema}", drop


def database_for(kind: str) -> tuple[str, Callable[[], None] | None]:
    """For `Hotline(database=..., on_close=...)`: "sqlite" as it is, "postgresql" a fresh schema."""
    if kind == "postgresql":
        url, drop = postgres_schema_url()
        return url, drop
    return kind, None


@contextmanager
def database(kind: str, folder: Path) -> Iterator[Database]:
    """A Database at the schema's head: "sqlite" a file in `folder`, "postgresql" a fresh schema
    (skipped, or failed in CI, without a server); disposed and dropped afterwards."""
    url, drop = (f"sqlite:///{folder / 'hotline.db'}", None) if kind == "sqlite" else postgres_schema_url()
    db = Database(url)
    try:
        create_schema(db.engine)
        yield db
    finally:
        db.engine.dispose()
        if drop:
            drop()

