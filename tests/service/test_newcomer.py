"""The README's first run, exactly: `python run.py` with no arguments in a fresh data folder,
no Twilio credentials, no Redis URL; then `python run.py call`; then Ctrl-C."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest
from sqlalchemy import create_engine, text

from hotline.base.config import ROOT
from hotline.service.embedded_redis import free_port

pytestmark = pytest.mark.slow  # starts run.py as a process

SCRUB = ("REDIS_URL", "DATABASE_URL", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_API_BASE_URL",
         "HOTLINE_SIM_URL", "HOTLINE_CONFIG")


def test_newcomer_first_run_places_a_call_and_stops_cleanly(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if k not in SCRUB}
    env.update(HOTLINE_DATA_DIR=str(tmp_path / "data"), HOTLINE_RECORDINGS_DIR=str(tmp_path / "recordings"),
               HOTLINE_PUBLIC_URL=f"http://127.0.0.1:{free_port()}", PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, str(ROOT / "run.py")], env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()  # type: ignore[union-attr]
    seen: list[str] = []
    try:
        deadline = time.monotonic() + 90
        while not any("hotline ready" in line for line in seen):
            assert time.monotonic() < deadline, "run.py never said it was ready:\n" + "".join(seen[-40:])
            assert proc.poll() is None, "run.py exited during start-up:\n" + "".join(seen[-40:])
            try:
                seen.append(lines.get(timeout=1))
            except queue.Empty:
                pass
        banner = "".join(seen)
        assert "sim:" in banner and "redis://127.0.0.1:" in banner and "sqlite:///" in banner
        children = psutil.Process(proc.pid).children(recursive=True)
        assert len(children) >= 4  # redis-server, gunicorn (+ workers), rq worker

        call = subprocess.run([sys.executable, str(ROOT / "run.py"), "call"], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)
        assert call.returncode == 0, call.stdout + call.stderr
        assert "Incident 1001: natural_disaster, severity danger" in call.stdout

        db = create_engine(f"sqlite:///{tmp_path / 'data' / 'hotline.db'}")
        with db.connect() as c:
            path, sha = c.execute(text("SELECT path, sha256 FROM recordings WHERE status='stored'")).one()
        db.dispose()
        assert Path(path).is_file() and Path(path).is_relative_to(tmp_path / "recordings")
        assert (tmp_path / "data" / "redis" / "appendonly.aof").exists()  # embedded Redis persists the queues
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode == 0
    _gone, alive = psutil.wait_procs(children, timeout=10)  # returns at once when all are gone
    alive = [c for c in alive if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]
    assert not alive, f"left behind: {[(c.pid, c.name()) for c in alive]}"
