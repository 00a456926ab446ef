"""`python -m hotline.service.scheduler`: RQ's scheduler as a supervised child of its own.

The scheduler moves jobs enqueued for later (the callouts' watchdog wake-ups, retries with
back-off) into their queues when they fall due. `rq worker --with-scheduler` forks one inside a
worker, and that process dies when Redis goes away; the worker starts it again only at its
maintenance, every ten minutes, so after a Redis restart no wake-up or retry ran for up to ten
minutes (issue #23). Here it is a child like every other: it outlives a Redis outage (it waits and
takes its locks again as soon as Redis answers), it beats (hotline.base.heartbeat) so a hang is
found, and if it exits the supervisor restarts it.

Several nodes may each run one: RQ's per-queue locks let one scheduler at a time move each
queue's jobs, and a node whose lock another holds tries again every pass.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading

from redis import Redis
from redis.exceptions import RedisError
from rq.scheduler import RQScheduler

from hotline.base.heartbeat import Heartbeat
from hotline.base.log_context import configure_logging
from hotline.base.runtime import QUEUES

log = logging.getLogger("hotline.scheduler")
# Seconds between passes: a due wake-up waits at most this long. An int: RQ sends `interval + 60`
# to Redis as its locks' EXPIRE, and Redis refuses "61.0".
INTERVAL = 1


def run(redis_url: str, stop: threading.Event, interval: int = INTERVAL) -> None:
    scheduler = RQScheduler(list(QUEUES), connection=Redis.from_url(redis_url, socket_timeout=5,
                                                                     socket_connect_timeout=2),
                            interval=interval, name=f"hotline-{socket.gethostname()}-{os.getpid()}")
    wanted = set(QUEUES)
    failing = False
    born = False
    while not stop.is_set():
        try:
            if not born:
                scheduler.register_birth()
                born = True
            if scheduler.acquired_locks != wanted:
                scheduler.acquire_locks()
            if scheduler.acquired_locks:
                scheduler.heartbeat()
                scheduler.enqueue_scheduled_jobs()
            if failing:
                log.info("Redis answers again; scheduling for %s", ", ".join(sorted(scheduler.acquired_locks)))
            failing = False
        except (RedisError, OSError) as exc:
            if not failing:
                log.warning("scheduling failed (%s); trying again every %d s", exc, interval)
            failing = True
            scheduler._acquired_locks = set()  # noqa: SLF001 - they may have expired meanwhile: take them again
        stop.wait(interval)
    try:
        scheduler.release_locks()
        scheduler.register_death()
    except (RedisError, OSError):
        pass


def main() -> int:
    configure_logging()
    redis_url = os.environ.get("REDIS_URL", "")
    if not redis_url:
        log.error("REDIS_URL is not set: nothing to schedule for")
        return 2
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    beat = Heartbeat.to_url("scheduler", redis_url).start()
    log.info("scheduler started for %s", ", ".join(QUEUES))
    try:
        run(redis_url, stop)
    finally:
        beat.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
