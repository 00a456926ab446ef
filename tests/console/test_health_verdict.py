"""The health page goes red when transcription is configured but no running worker has the
model loaded, whatever is on disk; and a worker's fact sheet outlives it only until read."""

from __future__ import annotations

import pytest
from redis import Redis

from hotline.base import worker_facts
from hotline.console.health import models_verdict


@pytest.mark.parametrize(("configured", "loaded", "missing"), [
    ([], [], []),  # nothing configured: nothing missing (the page says "off")
    (["ko-KR"], [], ["ko-KR"]),  # configured, no transcription worker running
    (["ko-KR"], [None, None], ["ko-KR"]),  # workers, none of them loads models
    (["ko-KR"], [{"ko-KR": "model for ko-KR not available"}], ["ko-KR"]),  # the worker failed to load it
    (["ko-KR"], [None, {"ko-KR": "ok"}], []),
    (["ko-KR", "zh-TW"], [{"ko-KR": "ok"}], ["zh-TW"]),
])
def test_models_verdict(configured, loaded, missing):
    assert models_verdict(configured, loaded) == missing


def test_fact_sheets_of_gone_workers_are_dropped(redis_url: str):
    redis = Redis.from_url(redis_url)
    redis.delete(worker_facts.KEY)
    worker_facts.publish(redis, "w-alive", role="transcribe", models={"ko-KR": "ok"})
    worker_facts.publish(redis, "w-gone", role="transcribe", models={"ko-KR": "ok"})
    sheets = worker_facts.read(redis, ["w-alive"])
    assert list(sheets) == ["w-alive"] and sheets["w-alive"]["models"] == {"ko-KR": "ok"}
    assert sheets["w-alive"]["pid"] > 0
    assert redis.hkeys(worker_facts.KEY) == [b"w-alive"]
