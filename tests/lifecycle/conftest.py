"""A hotline per module, with a Redis of the module's own: no worker left by another module
(on the shared session Redis) can take its jobs and run them against another database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hotline.service.embedded_redis import start_embedded_redis
from tests.support import e2e
from tests.support.lanes import starts_processes
from tests.support.sandbox import Hotline


@pytest.fixture(scope="module")
@starts_processes
def h(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hotline]:
    tmp = tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1])
    redis = start_embedded_redis(tmp / "redis", persist=False)
    hotline = e2e.make_hotline(tmp, redis.url, "sqlite")
    yield hotline
    hotline.close()
    redis.stop()
