"""A real `python3 run.py` in its own data dir and port, for process-level tests."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
import requests

from hotline.base.config import ROOT
from hotline.service.embedded_redis import free_port

SCRUB = ("REDIS_URL", "DATABASE_URL", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_API_BASE_URL",
         "HOTLINE_CONFIG", "HOTLINE_BIND", "HOTLINE_WEB_MODEL")


def wait_until(check: Callable[[], Any], timeout: float, what: str, interval: float = 0.2) -> Any:
    """Poll `check` until it returns something truthy; fail naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for: {what}"
        time.sleep(interval)


class RunPy:
    def __init__(self, tmp: Path, env: dict[str, str] | None = None):
        self.tmp = tmp
        self.data = tmp / "data"
        self.url = f"http://127.0.0.1:{free_port()}"
        self.env = {k: v for k, v in os.environ.items() if k not in SCRUB}
        self.env.update(HOTLINE_DATA_DIR=str(self.data), HOTLINE_PUBLIC_URL=self.url, PYTHONUNBUFFERED="1",
                        **(env or {}))
        self.proc: subprocess.Popen[str] | None = None
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []

    # -- running ---------------------------------------------------------------------------
    def start(self) -> RunPy:
        self.seen = []
        self.lines = queue.Queue()
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "run.py")], env=self.env, cwd=self.tmp,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        out, lines = self.proc.stdout, self.lines
        threading.Thread(target=lambda: [lines.put(line) for line in out], daemon=True).start()  # type: ignore[union-attr]
        return self

    def wait_for_line(self, text: str, timeout: float = 90) -> str:
        deadline = time.monotonic() + timeout
        while True:
            found = next((line for line in self.seen if text in line), None)
            if found:
                return found
            assert self.proc is not None
            assert time.monotonic() < deadline, f"run.py never printed {text!r}:\n" + "".join(self.seen[-40:])
            assert self.proc.poll() is None or not self.lines.empty(), \
                f"run.py exited ({self.proc.returncode}) before printing {text!r}:\n" + "".join(self.seen[-40:])
            try:
                self.seen.append(self.lines.get(timeout=0.5))
            except queue.Empty:
                pass

    def wait_ready(self) -> RunPy:
        self.wait_for_line("hotline ready")
        return self

    def run(self, *args: str, timeout: float = 120, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """Another `run.py` command against the same data dir, to completion."""
        return subprocess.run([sys.executable, str(ROOT / "run.py"), *args], env=self.env, cwd=self.tmp,
                              capture_output=True, text=True, timeout=timeout, input=stdin)

    def stop(self) -> int | None:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise

    # -- looking ---------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        return json.loads((self.data / "run.json").read_text())

    def health(self) -> tuple[int, dict[str, Any]]:
        try:
            r = requests.get(f"{self.url}/healthz", timeout=5)
            return r.status_code, r.json()
        except (requests.RequestException, ValueError):
            return 0, {}

    def healthy(self) -> bool:
        return self.health()[0] == 200

    def program(self, child: str) -> psutil.Process:
        """The real process of a supervised child: its lifeline's only child, or the child itself
        when the forkserver forked it (hotline.service.forkserver)."""
        # a child of AFTER_READY (the transcriber) is in run.json only once the hotline is ready
        pid = wait_until(lambda: self.state()["children"].get(child, {}).get("pid"), 30, f"{child} running")
        process = psutil.Process(pid)
        if "hotline.service.lifeline" not in process.cmdline():
            return process
        return wait_until(lambda: process.children(), 10, f"{child} under its lifeline")[0]

    def tree(self) -> list[psutil.Process]:
        assert self.proc is not None
        return psutil.Process(self.proc.pid).children(recursive=True)
