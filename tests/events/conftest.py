"""A hotline per module for the events API, with a Redis of its own and the callout tests' rota
(chen, then lin; English first), plus activation rules written for these tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hotline.service.embedded_redis import start_embedded_redis
from tests.support.events import (
    write_config,
)
from tests.support.lanes import starts_processes
from tests.support.postgres import database_for
from tests.support.sandbox import Hotline


@pytest.fixture(scope="module")
@starts_processes
def h(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hotline]:
    """On SQLite; a module with `pytest_generate_tests = e2e.databases_for_h` runs its tests marked
    ALSO_ON_POSTGRESQL on PostgreSQL too (where concurrent triggers really run side by side)."""
    database = getattr(request, "param", "sqlite")
    tmp = tmp_path_factory.mktemp(f"{request.module.__name__.rsplit('.', 1)[-1]}-{database}")
    redis = start_embedded_redis(tmp / "redis", persist=False)
    url, drop = database_for(database)
    hotline = Hotline(tmp, redis.url, url, config_path=write_config(tmp), on_close=drop)
    hotline.start_worker("callout", "recordings", "default")
    yield hotline
    hotline.close()
    redis.stop()












