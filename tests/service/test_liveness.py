"""Liveness (issue #23, item 4): a process that hangs is found by its heartbeat, not only one
that exits. The proof: the engine of a running `run.py` stopped with SIGSTOP is named by /healthz
within three periods of its last beat, killed and restarted by the supervisor (counted apart, in
run.json, /healthz and the metric), and paging goes on: the new engine passes again and a new
report gets its first call."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import psutil
import pytest
import requests
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue

from hotline.base import heartbeat
from hotline.base.heartbeat import PERIOD, Beat
from hotline.service.supervisor import worker_argv, worker_env
from tests.support.hotline_process import RunPy, wait_until

pytestmark = pytest.mark.slow  # starts run.py (and stops its processes)

TOKEN = "liveness-test-token"


def test_a_stale_beat_is_named_within_three_periods_and_a_fresh_one_is_not():
    now = 1_000_000.0
    fresh = Beat("h/engine", "engine", "h", "engine", 1, beat_at=now - PERIOD, cycle_at=now - PERIOD)
    frozen = Beat("h/engine", "engine", "h", "engine", 1, beat_at=now - 3 * PERIOD, cycle_at=now - 3 * PERIOD)
    hung_loop = Beat("h/engine", "engine", "h", "engine", 1, beat_at=now,
                     cycle_at=now - heartbeat.HUNG_CYCLE_SECONDS - 1)
    assert fresh.stale_reason(now) is None
    assert "no heartbeat for 6 s" in (frozen.stale_reason(now) or "")
    assert "no finished convergence pass" in (hung_loop.stale_reason(now) or "")
    assert heartbeat.STALE_AFTER < 3 * PERIOD <= heartbeat.KILL_AFTER  # health names it first, then the kill


def _engine_beat(redis: Redis, pid: int) -> Beat | None:
    return next((b for b in heartbeat.read(redis) if b.child == "engine" and b.pid == pid), None)


def test_a_frozen_engine_is_named_killed_restarted_counted_and_paging_resumes(tmp_path: Path):
    h = RunPy(tmp_path, env={"HOTLINE_METRICS_TOKEN": TOKEN}).start().wait_ready()
    try:
        redis = Redis.from_url(h.state()["redis_url"])
        engine = h.program("engine")
        wait_until(lambda: _engine_beat(redis, engine.pid), 60, "the engine's first heartbeat")
        wait_until(h.healthy, 60, "/healthz 200 before the freeze")

        engine.suspend()  # SIGSTOP: the process exists, answers nothing, pages nobody

        status, body = wait_until(lambda: (r := h.health())[0] == 503 and "engine" in r[1].get("down", {}) and r,
                                  60, "/healthz 503 naming the engine")
        reason = body["down"]["engine"]
        assert reason.startswith("hung: no heartbeat for ") and f"pid {engine.pid}" in reason, reason
        silent = int(re.search(r"no heartbeat for (\d+) s", reason).group(1))  # type: ignore[union-attr]
        assert silent <= 3 * PERIOD, reason  # named within three periods of its last beat

        wait_until(lambda: not engine.is_running() or engine.status() == psutil.STATUS_ZOMBIE, 60,
                   "the supervisor killed the frozen engine")
        wait_until(lambda: h.state()["children"]["engine"]["stale_restarts"] == 1
                   and h.state()["children"]["engine"]["state"] == "running", 60, "the engine restarted")
        h.wait_for_line("engine is hung (no heartbeat for")
        new = h.program("engine")
        assert new.pid != engine.pid
        first = wait_until(lambda: _engine_beat(redis, new.pid), 60, "the new engine's heartbeat")
        wait_until(lambda: (b := _engine_beat(redis, new.pid)) and b.cycle_at and first.cycle_at
                   and b.cycle_at > first.cycle_at, 60, "the new engine finished a convergence pass")
        status, body = wait_until(lambda: (r := h.health())[0] == 200 and r, 60, "/healthz 200 again")
        assert body["stale_restarts"]["engine"] == 1 and body["restarts"]["engine"] == 1
        metrics = requests.get(f"{h.url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10).text
        assert 'hotline_supervisor_restarts_total{cause="stale",child="engine"} 1.0' in metrics, metrics[-2000:]

        call = h.run("call")  # a new report: paged, its first person called

        assert call.returncode == 0, call.stdout + call.stderr
        assert "calling " in call.stdout, call.stdout
    finally:
        assert h.stop() == 0


def test_a_worker_stopped_on_purpose_leaves_no_stale_beat(tmp_path: Path, clean_redis: str):
    """A clean stop removes its beat (a beat of a dead local process is dropped besides): only a
    hang is named, never a process that is gone on purpose. The worker as run.py starts it (its
    scheduler is a child of its own)."""
    redis = Redis.from_url(clean_redis)
    proc = subprocess.Popen([sys.executable, *worker_argv(("recordings",), with_scheduler=False)],
                            env={**os.environ, **worker_env(clean_redis), "HOTLINE_CHILD": "spare-worker"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: any(b.child == "spare-worker" for b in heartbeat.read(redis)), 60, "the worker beats")
    finally:
        proc.terminate()
        proc.wait(30)
    assert not redis.hget(heartbeat.KEY, heartbeat.field_name("worker", child="spare-worker"))


def test_the_scheduler_is_a_supervised_child_and_comes_back_with_redis(tmp_path: Path):
    """Killing Redis killed the schedulers RQ forks inside its workers, and nothing started them
    again before the workers' ten-minute maintenance: no watchdog wake-up, no retry with back-off
    ran. The scheduler is now a child of its own that waits for Redis and takes its locks again."""
    h = RunPy(tmp_path).start().wait_ready()
    try:
        url = h.state()["redis_url"]
        assert "scheduler" in h.state()["children"]
        ours = h.program("scheduler")

        def held_by_ours() -> bool:
            try:
                holder = Redis.from_url(url).get("rq:scheduler-lock:callout")
            except RedisError:
                return False
            return bool(holder) and holder.decode().startswith("hotline-")  # type: ignore[union-attr]

        wait_until(held_by_ours, 60, "the supervised scheduler holds the callout queue's lock")
        redis = h.program("redis")
        redis.kill()
        redis.wait(10)
        wait_until(lambda: h.state()["children"]["redis"]["restarts"] == 1 and h.healthy(), 90,
                   "Redis restarted and /healthz 200")

        wait_until(held_by_ours, 60, "the scheduler took its lock again")
        assert h.program("scheduler").pid == ours.pid  # it waited for Redis: not even restarted
        queue = Queue("default", connection=Redis.from_url(url))
        job = queue.enqueue_in(timedelta(seconds=1), "time.sleep", 0)
        wait_until(lambda: job.get_status(refresh=True) == "finished", 60, "a scheduled job ran")
    finally:
        assert h.stop() == 0
