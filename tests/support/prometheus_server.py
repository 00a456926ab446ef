"""A real Prometheus (Debian's `prometheus` package) for tests: a generated config on free
ports, its data in a tmp dir, queried through its own HTTP API."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import requests

from hotline.service.embedded_redis import free_port

BINARY = shutil.which("prometheus") or "/usr/bin/prometheus"


class Prometheus:
    def __init__(self, tmp: Path, target: str, token: str, scheme: str = "http"):
        """`target`: host:port of the hotline's web; scraped every second with the bearer token."""
        self.tmp = tmp
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        tmp.mkdir(parents=True, exist_ok=True)
        (tmp / "token").write_text(token)
        (tmp / "prometheus.yml").write_text(f"""
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: hotline
    scheme: {scheme}
    metrics_path: /metrics
    authorization:
      type: Bearer
      credentials_file: {tmp / 'token'}
    static_configs:
      - targets: ["{target}"]
""")
        self.log = (tmp / "prometheus.log").open("wb")
        self.proc = subprocess.Popen(
            [BINARY, f"--config.file={tmp / 'prometheus.yml'}", f"--storage.tsdb.path={tmp / 'tsdb'}",
             f"--web.listen-address=127.0.0.1:{self.port}"],
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def query(self, promql: str) -> list[dict[str, Any]]:
        r = requests.get(f"{self.url}/api/v1/query", params={"query": promql}, timeout=5)
        r.raise_for_status()
        return r.json()["data"]["result"]

    def wait_for(self, promql: str, timeout: float = 60) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while True:
            try:
                result = self.query(promql)
                if result:
                    return result
            except requests.RequestException:
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise AssertionError(f"Prometheus never answered {promql!r}; targets: {self.targets()}\n"
                                     + (self.tmp / "prometheus.log").read_text(errors="replace")[-3000:])
            time.sleep(0.5)

    def targets(self) -> Any:
        try:
            return requests.get(f"{self.url}/api/v1/targets", timeout=5).json()["data"]["activeTargets"]
        except (requests.RequestException, ValueError, KeyError):
            return "(no answer)"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
