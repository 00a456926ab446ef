"""Where the processes of one node keep their Prometheus values (prometheus-client's
multiprocess mode): `metrics/` in the data dir, one file per metric kind per process
(`counter_4242.db`, `histogram_4242.db`).

Every role, when it starts, removes the files of processes that no longer run: a previous run's
counters would otherwise be added to this run's forever (Prometheus reads the drop as a counter
reset, which rate() expects). Files of live processes stay, so a web and workers on one node,
started in any order by separate units, never wipe each other's values.
The variable must be in a process's environment before it imports prometheus_client.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import psutil

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
_PID = re.compile(r"_(\d+)\.db$")


def metrics_dir(data_dir: Path) -> Path:
    path = data_dir / "metrics"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def without_the_dead(path: Path) -> Path:
    """`path` with every file of a process that is not running removed."""
    for file in path.glob("*.db"):
        match = _PID.search(file.name)
        if match and not psutil.pid_exists(int(match.group(1))):
            file.unlink(missing_ok=True)
    return path


def fresh(data_dir: Path) -> Path:
    """Empty: for `run.py` (all), which owns the whole data dir and starts every process in it."""
    path = metrics_dir(data_dir)
    for file in path.glob("*.db"):
        file.unlink(missing_ok=True)
    return path


def prepare(data_dir: Path) -> Path:
    return without_the_dead(metrics_dir(data_dir))


def export_for_children(data_dir: Path) -> None:
    """For `run.py web` / `worker` / `engine`, which exec their program: an operator's own
    PROMETHEUS_MULTIPROC_DIR wins (and is theirs to look after)."""
    if not os.environ.get(MULTIPROC_ENV):
        os.environ[MULTIPROC_ENV] = str(prepare(data_dir))
