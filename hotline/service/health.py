"""What /healthz reports: 503 naming what is down, so an outside monitor (or Twilio's
fallback) can act; 200 otherwise. Cheap: one PING, one SELECT 1, one read of the workers set,
of the heartbeats and of run.json.

A process that hangs (the engine stopped with SIGSTOP answers nothing but still exists) is named
by its heartbeat (hotline.base.heartbeat): stale after STALE_AFTER, i.e. within three periods of
its last beat, on any node.

A worker killed with SIGKILL stays registered in Redis until its TTL runs out, so the
supervisor's own view (run.json: which children are running, restart counts) is read too.
"""

from __future__ import annotations

from typing import Any

from rq import Worker
from sqlalchemy import text

from hotline.base import heartbeat
from hotline.base.runtime import Runtime
from hotline.service.instance import read_state

# Without these, a report is not stored or nobody is paged.
NEEDED_QUEUES = ("callout", "recordings")


def check(runtime: Runtime) -> tuple[bool, dict[str, Any]]:
    down: dict[str, str] = {}
    try:
        with runtime.db.engine.connect() as c:
            c.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means the database is down for us
        down["database"] = f"{type(exc).__name__}: {exc}"[:200]
    if runtime.config.redis_url:
        try:
            runtime.redis.ping()
            served = {q for w in Worker.all(connection=runtime.redis) for q in w.queue_names()}
            for q in NEEDED_QUEUES:
                if q not in served:
                    down[f"worker:{q}"] = f"no RQ worker serves the {q!r} queue"
            for name, reason in heartbeat.stale(heartbeat.read(runtime.redis)).items():
                down[name] = f"hung: {reason}"
        except Exception as exc:  # noqa: BLE001 - any failure means Redis is down for us
            down["redis"] = f"{type(exc).__name__}: {exc}"[:200]
    else:
        down["redis"] = "no Redis URL configured"
    body: dict[str, Any] = {}
    state = read_state(runtime.config.data_dir)
    if state and state.get("children"):
        for name, child in state["children"].items():
            if child.get("state") != "running":
                down[name] = f"restarting after exit code {child.get('last_exit')}"
        body["restarts"] = {name: child.get("restarts", 0) for name, child in state["children"].items()}
        body["stale_restarts"] = {name: child.get("stale_restarts", 0) for name, child in state["children"].items()}
    body["status"] = "down" if down else "ok"
    if down:
        body["down"] = down
    return not down, body
