"""One hotline per data dir: the lock, the state file (run.json), and what a crash left behind.

The lock is an flock on `data_dir/run.lock`, held by the supervisor for its whole life. The
kernel drops it when the supervisor dies, however it dies, so a stale lock cannot block a
restart; and since the fd is not inherited, an orphaned child never holds it either.

Children carry HOTLINE_INSTANCE=<data dir> in their environment: a later start that holds
the lock knows that any process still carrying it is an orphan of a previous crash.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from hotline.base.private_files import write_private

INSTANCE_ENV = "HOTLINE_INSTANCE"


class AlreadyRunning(Exception):
    """Another supervisor holds this data dir; the message names its PID and URL."""


@dataclass
class InstanceLock:
    data_dir: Path
    fd: int

    @classmethod
    def acquire(cls, data_dir: Path, public_url: str) -> InstanceLock:
        """Take the lock or raise AlreadyRunning without changing any file."""
        path = data_dir / "run.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 4096).decode(errors="replace").split()
            os.close(fd)
            pid, url = (holder + ["?", "?"])[:2]
            raise AlreadyRunning(f"run.py: already running for {data_dir} (pid {pid}, {url}); "
                                 f"stop it first (Ctrl-C in its terminal, or `kill {pid}`)") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()} {public_url}\n".encode(), 0)
        return cls(data_dir, fd)

    def release(self) -> None:
        os.close(self.fd)


def state_path(data_dir: Path) -> Path:
    return data_dir / "run.json"


def write_state(data_dir: Path, state: dict[str, Any]) -> None:
    """Atomically, so /healthz never reads half a file; 0600, as it names the Redis password."""
    path = state_path(data_dir)
    write_private(path, json.dumps(state, indent=2))


def read_state(data_dir: Path) -> dict[str, Any] | None:
    try:
        return json.loads(state_path(data_dir).read_text())
    except (OSError, ValueError):
        return None


def running_state(data_dir: Path) -> dict[str, Any] | None:
    """run.json of the hotline running for this data dir right now, or None. The lock decides:
    a run.json left by a crash is not a running hotline."""
    state = read_state(data_dir)
    return state if state is not None and _held(data_dir / "run.lock") else None


def _held(lock: Path) -> bool:
    try:
        fd = os.open(lock, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True  # the supervisor holds it exclusively
    finally:
        os.close(fd)  # also drops the shared lock we may just have taken
    return False


def join_running(data_dir: Path, env: MutableMapping[str, str]) -> list[str]:
    """A command run beside `run.py` acts on the same hotline: the Redis and the sim it started
    are named only in run.json, not in this process's environment. Sets REDIS_URL and
    HOTLINE_SIM_URL in `env` where they are unset; returns what it set."""
    state = running_state(data_dir)
    joined = []
    for key, field in (("REDIS_URL", "redis_url"), ("HOTLINE_SIM_URL", "sim_url"), ("HOTLINE_SIM_TOKEN", "sim_token")):
        if state and state.get(field) and not env.get(key):
            env[key] = str(state[field])
            joined.append(key)
    return joined


def leftovers(data_dir: Path) -> list[psutil.Process]:
    """Processes a previous run for this data dir left behind: our marked children, and the
    embedded redis-server named by its pid file (redis rewrites its title and environment
    area, so neither its command line nor its environment can be trusted to identify it)."""
    mine = str(data_dir.resolve())
    found = []
    for p in psutil.process_iter():
        if p.pid == os.getpid():
            continue
        try:
            if p.environ().get(INSTANCE_ENV) == mine:
                found.append(p)
        except psutil.Error:
            continue
    redis = _stale_redis(data_dir / "redis" / "redis.pid")
    if redis is not None and redis.pid not in {p.pid for p in found}:
        found.append(redis)
    return found


def _stale_redis(pidfile: Path) -> psutil.Process | None:
    try:
        proc = psutil.Process(int(pidfile.read_text().strip()))
        return proc if "redis" in proc.name() else None
    except (OSError, ValueError, psutil.Error):
        return None


def clean_up_after_crash(data_dir: Path, say: Any = print) -> None:
    """Called with the lock held: whatever a previous run left is stale by definition."""
    stale = read_state(data_dir)
    if stale is not None:
        say(f"run.py: the previous run (pid {stale.get('pid')}) did not stop cleanly; cleaning up")
        state_path(data_dir).unlink(missing_ok=True)
    orphans = leftovers(data_dir)
    for p in orphans:
        say(f"run.py: stopping pid {p.pid} ({p.name()}) left over from a previous run")
        try:
            p.terminate()
        except psutil.Error:
            pass
    _gone, alive = psutil.wait_procs(orphans, timeout=5)
    for p in alive:
        try:
            p.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(alive, timeout=2)
