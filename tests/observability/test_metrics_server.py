"""`run.py metrics` on a node without a web role: it serves what that node's processes observed
(here a stand-in for the callout worker), behind the same token; files of dead processes from an
earlier run are dropped when it starts."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from hotline.base.config import ROOT
from hotline.service.embedded_redis import free_port
from tests.support.hotline_process import SCRUB

OBSERVE = ("from hotline.base.metrics import CALLOUT_FIRST_DIAL_SECONDS as h; h.observe(3.0); h.observe(4.0); "
           "print('observed', flush=True); input()")


@pytest.mark.slow  # starts worker processes
def test_a_worker_node_serves_its_processes_metrics(tmp_path: Path):
    data = tmp_path / "data"
    (data / "metrics").mkdir(parents=True)
    (data / "metrics" / "histogram_999999999.db").write_bytes(b"")  # a process of an earlier run
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in (*SCRUB, "PROMETHEUS_MULTIPROC_DIR")}
    env.update(HOTLINE_DATA_DIR=str(data), HOTLINE_METRICS_TOKEN="tok", HOTLINE_METRICS_BIND=f"127.0.0.1:{port}",
               PYTHONUNBUFFERED="1")
    worker = subprocess.Popen([sys.executable, "-c", OBSERVE], cwd=ROOT, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True,
                              env={**env, "PROMETHEUS_MULTIPROC_DIR": str(data / "metrics")})
    server = None
    try:
        assert worker.stdout is not None and worker.stdout.readline().strip() == "observed"
        server = subprocess.Popen([sys.executable, str(ROOT / "run.py"), "metrics"], cwd=ROOT, env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}/metrics"
        deadline = time.monotonic() + 60
        while True:
            try:
                body = requests.get(url, headers={"Authorization": "Bearer tok"}, timeout=2)
                break
            except requests.RequestException:
                assert server.poll() is None and time.monotonic() < deadline, "run.py metrics never answered"
                time.sleep(0.3)
        assert body.status_code == 200
        assert "hotline_callout_first_dial_seconds_count 2.0" in body.text
        assert requests.get(url, timeout=2).status_code == 404
        assert not (data / "metrics" / "histogram_999999999.db").exists()
    finally:
        for proc in (server, worker):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                proc.wait(10)
