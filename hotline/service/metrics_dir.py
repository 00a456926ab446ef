"""Where the processes of one node keep their Prometheus values (prometheus-client's
multiprocess mode): `metrics/` in the data dir, one file set per process.

Emptied when the node's web role starts: the files of a previous run belong to processes that
no longer exist, and their counters would otherwise be added to this run's forever. Workers
on the same node only make sure it exists, so a worker restarting does not wipe the web's.
The variable must be in a process's environment before it imports prometheus_client.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def metrics_dir(data_dir: Path) -> Path:
    path = data_dir / "metrics"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def fresh_metrics_dir(data_dir: Path) -> Path:
    path = data_dir / "metrics"
    shutil.rmtree(path, ignore_errors=True)
    return metrics_dir(data_dir)


def export_for_children(data_dir: Path, fresh: bool) -> None:
    """For `run.py web` / `run.py worker`, which exec their program: an operator's own
    PROMETHEUS_MULTIPROC_DIR wins (and is theirs to clean)."""
    if not os.environ.get(MULTIPROC_ENV):
        os.environ[MULTIPROC_ENV] = str(fresh_metrics_dir(data_dir) if fresh else metrics_dir(data_dir))
