"""A watched event in the console: its reason, its summary and its details, with the shipped rules."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hotline.service.embedded_redis import start_embedded_redis
from tests.support.console import console_config, logged_in_client
from tests.support.events import add_integration, alerts_for, post, trigger
from tests.support.lanes import starts_processes
from tests.support.sandbox import Hotline


@pytest.fixture(scope="module")
@starts_processes
def h(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hotline]:
    tmp = tmp_path_factory.mktemp("events-console")
    redis = start_embedded_redis(tmp / "redis", persist=False)
    hotline = Hotline(tmp, redis.url, "sqlite", config_path=console_config(tmp))
    yield hotline
    hotline.close()
    redis.stop()


def test_a_watched_event_shows_why_it_was_not_paged(h: Hotline) -> None:
    key = add_integration(h, "ids").key
    r = post(h, trigger(key, "small-leak", severity="warning", summary="12 records exposed", affected_records=12))
    assert r.status_code == 202
    incident_id = alerts_for(h, "small-leak")[0].incident_id
    client = logged_in_client(h)
    page = client.get(f"/console/incidents/{incident_id}/live", headers={"Accept-Language": "en-US"}
                      ).get_data(as_text=True)
    assert "Paging stopped by rule cyber_security.otherwise at " in page  # the console's "now" sentence
    assert "no rule of cyber_security matched: watch" in page  # and the rule's reason
    assert "12 records exposed" in page and "ids-1" in page and "affected_records" in page
    assert "<dt>affected_records</dt><dd>12</dd>" in page and "{&#34;" not in page  # lines, not raw JSON
    assert "1 event received" in page  # not "1 events received"
