"""The accept race and a full callout again, on PostgreSQL (the rest run on SQLite)."""

from __future__ import annotations

import pytest

from tests.callout import e2e
from tests.callout.test_callout_calls import (  # noqa: F401  (collected here with this module's `h`)
    quiet_phones,
    test_first_does_not_answer_second_accepts_exactly_two_calls,
    test_two_phones_press_1_in_the_same_instant,
)
from tests.callout.test_callout_more import test_storm_of_twenty_reports_gives_one_callout  # noqa: F401


@pytest.fixture(scope="module")
def h(redis_url, tmp_path_factory):
    hotline = e2e.make_hotline(tmp_path_factory.mktemp("callout-postgres"), redis_url, "postgresql")
    yield hotline
    hotline.close()
