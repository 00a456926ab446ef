"""/metrics in one process: refused without the token, and what it counts (lockouts where they
start, requests by route rule)."""

from __future__ import annotations

from pathlib import Path

from prometheus_client import REGISTRY
from redis import Redis

from hotline.base.lockout import Throttle
from tests.support.sandbox import Hotline


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_a_throttle_is_counted_once_when_its_delays_start(clean_redis: str):
    redis = Redis.from_url(clean_redis)
    throttle = Throttle("pin", free=3, base=60, cap=60, window=60)
    before = sample("hotline_lockouts_total", scope="pin")
    assert [throttle.attempt(redis, "+886900000001").allowed for _ in range(4)] == [True, True, True, False]
    assert throttle.delayed(redis, "+886900000001") > 0
    assert sample("hotline_lockouts_total", scope="pin") == before + 1


def test_metrics_needs_the_token_and_labels_requests_by_rule(tmp_path: Path, clean_redis: str):
    h = Hotline(tmp_path, clean_redis, extra_env={})
    try:
        import hotline.service.metrics_endpoint as endpoint

        app = h.app
        endpoint.register(app, h.runtime, token="s3cret")  # the app was built without one: /metrics is off
        client = app.test_client()
        assert client.get("/metrics").status_code == 404
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 404
        client.get("/prompts/greeting/zh-TW/v7.wav")  # a path with values in it
        body = client.get("/metrics", headers={"Authorization": "Bearer s3cret"}).get_data(as_text=True)
        assert 'route="/prompts/<name>/<lang>/v<int:version>.wav"' in body
        assert "greeting" not in body
        assert 'hotline_queue_depth{queue="callout"} 0.0' in body
        assert 'hotline_metrics_source_up{source="database"} 1.0' in body
    finally:
        h.close()
