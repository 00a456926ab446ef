"""Fixtures for the callout tests: both databases, a base config file, and people.

Every database test runs on SQLite (WAL, a file under tmp_path) and on PostgreSQL (a fresh
schema per test, dropped afterwards), because the atomic-accept guarantee has to hold on both.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from hotline.base.db import create_schema, make_engine
from tests.support.callout import BASE_TOML, DbUnderTest
from tests.support.postgres import require_postgres, sqlalchemy_url


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DbUnderTest]:
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'callout.db'}")
        create_schema(engine)
        yield DbUnderTest(engine, "sqlite")
        engine.dispose()
        return
    require_postgres()
    schema = f"callout_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(sqlalchemy_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = create_engine(sqlalchemy_url(), connect_args={"options": f"-csearch_path={schema}"}, pool_size=10)
    try:
        create_schema(engine)
        yield DbUnderTest(engine, "postgresql")
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def config_file(tmp_path: Path):
    """Write BASE_TOML plus `extra` to a config file and return its path."""

    def write(extra: str = "") -> Path:
        path = tmp_path / "config.toml"
        path.write_text(BASE_TOML + extra, encoding="utf-8")
        return path

    return write


