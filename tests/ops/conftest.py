"""Databases for the operations tests: a file SQLite database, or a fresh PostgreSQL schema."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hotline.base.db import make_engine
from tests.support.legacy_db import Db
from tests.support.postgres import postgres_schema_url


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Db]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'data' / 'hotline.db'}"
        drop = None
    else:
        url, drop = postgres_schema_url()
    engine = make_engine(url)
    try:
        yield Db(request.param, url, engine)
    finally:
        engine.dispose()
        if drop:
            drop()
