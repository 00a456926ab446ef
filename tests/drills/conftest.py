"""A hotline per module with a Redis of its own (as tests/lifecycle), and drills left clean between tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hotline.service.embedded_redis import start_embedded_redis
from tests.support import e2e
from tests.support.lanes import starts_processes
from tests.support.sandbox import Hotline


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
@starts_processes
def h(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hotline]:
    """Both databases: a drill's own storms and its safety rules live in the schema's unique keys."""
    tmp = tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1])
    redis = start_embedded_redis(tmp / "redis", persist=False)
    hotline = e2e.make_hotline(tmp, redis.url, request.param)
    yield hotline
    hotline.close()
    redis.stop()


