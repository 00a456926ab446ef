"""The flood, dedup and acknowledge tests again on PostgreSQL, where concurrent triggers really
run side by side (the rest run on SQLite)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hotline.service.embedded_redis import start_embedded_redis
from tests.callout.e2e import quiet_phones  # noqa: F401  (autouse: phones wait for the test)
from tests.events.conftest import write_config
from tests.events.test_events_api import (  # noqa: F401  (collected here with this module's `h`)
    test_a_flood_for_one_key_opens_one_incident,
    test_acknowledge_while_ringing_accepts_by_the_integration_and_stops_the_calls,
    test_the_same_dedup_key_joins_and_counts_repeats,
)
from tests.postgres import database_for
from tests.support.sandbox import Hotline


@pytest.fixture(scope="module")
def h(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hotline]:
    tmp = tmp_path_factory.mktemp("events-postgres")
    url, drop = database_for("postgresql")
    redis = start_embedded_redis(tmp / "redis", persist=False)
    hotline = Hotline(tmp, redis.url, url, config_path=write_config(tmp), on_close=drop)
    hotline.start_worker("callout", "recordings", "default")
    yield hotline
    hotline.close()
    redis.stop()
