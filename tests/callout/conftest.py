"""Fixtures for the callout tests: both databases, a base config file, and people.

Every database test runs on SQLite (WAL, a file under tmp_path) and on PostgreSQL (a fresh
schema per test, dropped afterwards), because the atomic-accept guarantee has to hold on both.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

from hotline.base.config import Person
from hotline.base.db import Database, create_schema, make_engine
from hotline.base.models import Incident
from tests.postgres import require_postgres, sqlalchemy_url

BASE_TOML = """
[organisation]
name = "Test Org"
default_region = "TW"
timezone = "Asia/Taipei"

[hotline]
numbers = ["+886277001234"]

[incident_types.cyber_security]
names = { "zh-TW" = "資訊安全", "en-US" = "cyber-security" }

[incident_types.reputation]
names = { "zh-TW" = "聲譽危機", "en-US" = "reputation" }

[incident_types.other]
names = { "zh-TW" = "其他", "en-US" = "other" }

[people.chen]
name = "Chen Wei"
phone = "+886912000001"

[people.lin]
name = "Lin Mei"
phone = "+886912000002"

[people.wang]
name = "Wang Hao"
phone = "+886912000003"

[people.director]
name = "Director Lee"
phone = "+886912000009"
"""

PEOPLE = {
    "chen": Person("chen", "Chen Wei", "+886912000001", ("zh-TW",)),
    "lin": Person("lin", "Lin Mei", "+886912000002", ("zh-TW",)),
    "wang": Person("wang", "Wang Hao", "+886912000003", ("zh-TW",)),
    "director": Person("director", "Director Lee", "+886912000009", ("zh-TW",)),
}

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in Taipei


class DbUnderTest(Database):
    """hotline.base.db.Database over a test's own engine, labelled with its backend."""

    def __init__(self, engine: Engine, kind: str):
        super().__init__(str(engine.url), engine)
        self.kind = kind


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


def add_incidents(session: Session, n: int = 1, type_key: str = "cyber_security") -> list[int]:
    incidents = [Incident(type_key=type_key, language="zh-TW") for _ in range(n)]
    session.add_all(incidents)
    session.flush()
    return [i.id for i in incidents]
