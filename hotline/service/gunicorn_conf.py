"""Gunicorn hooks, loaded with `--config python:hotline.service.gunicorn_conf`.

A web worker that exits (crashed, killed, recycled) leaves its metric files behind in
PROMETHEUS_MULTIPROC_DIR. Its counters and histograms must keep counting in the totals, but
its live gauges must go, or a dead worker's values would be summed forever.
"""

from __future__ import annotations

import os
from typing import Any


def child_exit(server: Any, worker: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
