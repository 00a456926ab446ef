"""The web server the webhook benchmarks measure: gunicorn started exactly as `run.py` starts it
(`hotline.service.supervisor.gunicorn_argv`: worker model, connection bound, hooks), serving the
hotline app plus its two floors (bench/bare_app.py): the bare fixed-TwiML endpoint and the
durable floor (bench/durable_floor.py), with an access log of each request's path and time inside
gunicorn. Also the database a run uses, and the machine's load average to print beside figures."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

from hotline.base.config import load_config
from hotline.service.supervisor import WEB_THREADS, WEB_WORKERS, gunicorn_argv

ROOT = Path(__file__).resolve().parent.parent


def start(env: dict[str, str], access_log: Path, url: str, workers: int = WEB_WORKERS,
          threads: int = WEB_THREADS) -> subprocess.Popen[bytes]:
    """Start it and wait until it answers (/healthz says 503 here: the benchmarks run no job workers)."""
    env = {**os.environ, **env}
    argv = gunicorn_argv(load_config(ROOT / "config.toml", env=env), workers, threads)
    argv = [*argv[:-1], "--log-level", "warning", "--access-logfile", str(access_log),
            "--access-logformat", "%(U)s %(D)s", "bench.bare_app:app"]
    web = subprocess.Popen([sys.executable, *argv], env=env, cwd=ROOT)
    for _ in range(300):
        try:
            requests.get(f"{url}/healthz", timeout=1)
            return web
        except requests.RequestException:
            pass
        time.sleep(0.1)
    web.terminate()
    raise RuntimeError(f"the web server at {url} did not start")


def warm_up_calls(workers: int) -> int:
    """Calls to make before measuring: enough that every web worker has answered every webhook at
    least once, so the measurement is of warm workers (a fresh worker compiles each SQL statement
    on its first use), as a hotline that has been up for a while has."""
    return 10 * workers


def server_times(access_log: Path, last: int) -> dict[str, list[float]]:
    """Milliseconds inside gunicorn for the last `last` requests, as "bare" and "ivr"."""
    times: dict[str, list[float]] = defaultdict(list)
    for line in access_log.read_text().splitlines()[-last:]:
        path, microseconds = line.split()
        times[FLOORS.get(path, "ivr")].append(int(microseconds) / 1000)
    return times


FLOORS = {"/bench/bare": "bare", "/bench/durable": "durable"}


def database(given: str, data_dir: Path) -> tuple[str, Callable[[], None]]:
    """DATABASE_URL for a run, and what to do after it. Empty: SQLite in the data folder, where
    `run.py` puts it when none is configured. A postgresql:// URL: a fresh schema of its own in
    that database (the hotline's schema goes only into an empty one), dropped afterwards."""
    if not given:
        return f"sqlite:///{data_dir / 'hotline.db'}", lambda: None
    if not given.startswith("postgresql"):
        return given, lambda: None
    schema = "bench_" + secrets.token_hex(6)
    admin = create_engine(given.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f"CREATE SCHEMA {schema}"))

    def drop() -> None:
        with admin.connect() as c:
            c.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()

    return f"{given}{'&' if '?' in given else '?'}options=-csearch_path%3D{schema}", drop


def database_name(url: str) -> str:
    return "PostgreSQL" if url.startswith("postgresql") else "SQLite (WAL)"


def load_average() -> str:
    """The machine's 1-, 5- and 15-minute load average, to print with every figure: the machine is shared."""
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())
