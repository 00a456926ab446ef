"""Gunicorn hooks, loaded with `--config python:hotline.service.gunicorn_conf`.

A web worker that exits (crashed, killed, recycled) leaves its metric files behind in
PROMETHEUS_MULTIPROC_DIR. Its counters and histograms must keep counting in the totals, but
its live gauges must go, or a dead worker's values would be summed forever.

A worker freezes what it loaded (the app, SQLAlchemy's mappers, flows, phone metadata: some
150,000 objects) out of the garbage collector's reach: each full collection would otherwise walk
them all again, a pause of tens of milliseconds that lands on whichever caller's webhook is
running. Requests' own garbage is still collected as before.

Each worker also yields the CPU to paging (`post_worker_init`, supervisor.WEB_NICE).
"""

from __future__ import annotations

import gc
import os
from typing import Any


def pre_fork(server: Any, worker: Any) -> None:
    """The master loaded the app (`--preload`) and may hold pooled database connections from
    bringing the schema up: a worker must not inherit them (hotline.base.runtime)."""
    from hotline.base.runtime import release_db_before_fork

    release_db_before_fork()


def post_worker_init(worker: Any) -> None:
    """Each worker lowers its own priority (supervisor.WEB_NICE): the master stays at the default, so
    it reforks and reaps promptly, and paging (callout worker, engine) wins the CPU from web work."""
    from hotline.service.supervisor import web_nice

    os.nice(web_nice())
    gc.collect()
    gc.freeze()


def child_exit(server: Any, worker: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
