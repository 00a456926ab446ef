"""`/metrics` scraped by a real Prometheus from a real `run.py` (gunicorn in multiprocess mode,
RQ workers, the engine): after one call through the sim, the webhook histogram is there per
route, as Prometheus itself reports it through its query API. The same run logs JSON
(HOTLINE_LOG_FORMAT=json): the call's lines, from the web and from the callout worker, carry
the incident's reference."""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import urlparse

import pytest
import requests

from tests.support.hotline_process import RunPy
from tests.support.prometheus_server import BINARY, Prometheus

pytestmark = pytest.mark.slow  # starts run.py and Prometheus as processes

TOKEN = "test-metrics-token-0123456789"


@pytest.mark.skipif(not os.path.exists(BINARY), reason="Debian's prometheus package is not installed "
                    "(.ci/run installs it)")
def test_prometheus_scrapes_the_webhook_histogram_after_a_call(tmp_path: Path):
    (tmp_path / "hotline").mkdir()
    hotline = RunPy(tmp_path / "hotline", env={"HOTLINE_METRICS_TOKEN": TOKEN,
                                                        "HOTLINE_LOG_FORMAT": "json"}).start()
    prometheus = None
    try:
        hotline.wait_ready()
        assert requests.get(f"{hotline.url}/metrics", timeout=5).status_code == 404  # no token: nothing there
        wrong = requests.get(f"{hotline.url}/metrics", headers={"Authorization": "Bearer nope"}, timeout=5)
        assert wrong.status_code == 404
        prometheus = Prometheus(tmp_path / "prometheus", urlparse(hotline.url).netloc, TOKEN)
        prometheus.wait_for('up{job="hotline"} == 1')

        call = hotline.run("call")
        assert call.returncode == 0, call.stdout + call.stderr

        incoming = prometheus.wait_for('hotline_http_request_seconds_count{route="/voice/incoming"} > 0')
        print("Prometheus sees /voice/incoming:", incoming)
        routes = {r["metric"]["route"] for r in prometheus.query("hotline_http_request_seconds_count")}
        print("routes timed:", sorted(routes))
        assert not any(route.startswith("/voice/") and any(ch.isdigit() for ch in route) for route in routes), \
            "routes are labelled by rule, never by a raw path with ids in it"
        p99 = prometheus.wait_for('histogram_quantile(0.99, sum by (le) '
                                  '(hotline_http_request_seconds_bucket{route="/voice/incoming"}))')
        print("p99 of /voice/incoming as Prometheus computes it:", p99[0]["value"][1], "s")
        # State read at scrape time: the call's recording was stored; the queues are there.
        prometheus.wait_for('hotline_recordings{status="stored"} >= 1')
        assert prometheus.wait_for('hotline_queue_depth{queue="callout"} >= 0')
        # Observed in the callout worker or the engine, summed across processes by the web's scrape.
        prometheus.wait_for("hotline_callout_first_dial_seconds_count >= 1")

        hotline.wait_for_line('"message": "audit callout.dialed"')
        ours = [json.loads(line) for line in hotline.seen if line.startswith('{"time"')]
        about_it = [line for line in ours if line.get("incident") == "1001"]
        print(f"{len(ours)} JSON log lines, {len(about_it)} about incident 1001, from "
              f"{len({line['pid'] for line in about_it})} processes")
        messages = {line["message"] for line in about_it}
        assert {"audit incident_created", "audit callout.dialed"} <= messages, messages
        assert any(line.get("logger") == "gunicorn.access" and line.get("status") == 200 for line in ours)
    finally:
        if prometheus is not None:
            prometheus.stop()
        hotline.stop()
