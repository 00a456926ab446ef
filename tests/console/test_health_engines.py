"""The Health page lists every engine with when its last convergence pass finished ("last cycle
N s ago", in both languages), from its heartbeat (hotline.base.heartbeat), and goes red when one
is stale or none runs: an engine that hangs stops all paging while its process still exists."""

from __future__ import annotations

import json
import os
import re
import socket
import time

from hotline.base import heartbeat
from tests.support.console import logged_in_client
from tests.support.sandbox import Hotline


def _engine_row(page: str) -> str:
    return page.split('data-check="engines"', 1)[1].split("</tr>", 1)[0]


def test_the_health_page_says_when_each_engine_last_cycled(hotline: Hotline):
    redis = hotline.runtime.redis
    redis.delete(heartbeat.KEY)
    client = logged_in_client(hotline)
    client.get("/console/lang/en-US")
    row = _engine_row(client.get("/console/health").get_data(as_text=True))
    assert 'data-state="bad"' in row and "No engine is running the convergence cycle." in row

    beat = heartbeat.Heartbeat("engine", redis, cycles=True)
    beat.cycle_at = time.time() - 40  # a long pass: alive (it beats), not yet hung
    beat.beat()
    row = _engine_row(client.get("/console/health").get_data(as_text=True))
    assert 'data-state="ok"' in row and f'data-engine="{beat.field}" data-stale="no"' in row
    seconds = int(re.search(r"last cycle (\d+) s ago", row).group(1))  # type: ignore[union-attr]
    assert 40 <= seconds < heartbeat.HUNG_CYCLE_SECONDS, row
    chinese = logged_in_client(hotline)
    chinese.get("/console/lang/zh-TW")
    assert re.search(r"上次循環於 \d+ 秒前", _engine_row(chinese.get("/console/health").get_data(as_text=True)))

    frozen = time.time() - 3 * heartbeat.PERIOD  # this very process, alive, silent for three periods
    redis.hset(heartbeat.KEY, beat.field, json.dumps({"kind": "engine", "host": socket.gethostname(),
                                                      "child": beat.child, "pid": os.getpid(),
                                                      "beat_at": frozen, "cycle_at": frozen}))
    row = _engine_row(client.get("/console/health").get_data(as_text=True))
    assert 'data-state="bad"' in row and 'data-stale="yes"' in row
    assert "An engine has stopped: its heartbeat is stale." in row
    assert client.get("/console/health.json").status_code == 503
    redis.delete(heartbeat.KEY)
