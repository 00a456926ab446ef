"""The several-node layout on one machine, as separate processes: two web nodes and two worker
nodes (`run.py web`, `run.py worker` + `run.py engine`), each with a data dir and port of its
own, sharing one PostgreSQL schema, one external Redis and one recordings directory, behind a
real nginx (Debian's package) started with a generated config that takes the upstream block of
deploy/nginx/hotline.conf and includes deploy/nginx/hotline-proxy.conf: the deployed settings
themselves.
"""

from __future__ import annotations

import getpass
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from sqlalchemy import Engine, create_engine

from bench.storm import HOTLINE
from hotline.base.config import ROOT, load_config
from hotline.base.db import Database, create_schema
from hotline.service.embedded_redis import free_port, start_embedded_redis
from sim import Sim
from tests.support.hotline_process import SCRUB
from tests.support.postgres import postgres_schema_url, sqlalchemy_url

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
METRICS_TOKEN = "multinode-metrics-token"


def require_nginx() -> None:
    """Skip the calling test without nginx (CI installs it)."""
    if not os.path.exists(NGINX):
        pytest.skip("Debian's nginx package is not installed (.ci/run installs it)")


def cluster_config(tmp: Path) -> Path:
    """The repository's config.toml behind one proxy hop, its flows found where they are."""
    text = (ROOT / "config.toml").read_text()
    assert "trusted_proxies = 0" in text and 'flows_dir = "ivr_flows"' in text
    text = text.replace("trusted_proxies = 0", "trusted_proxies = 1")
    text = text.replace('flows_dir = "ivr_flows"', f'flows_dir = "{ROOT / "ivr_flows"}"')
    path = tmp / "config.toml"
    path.write_text(text)
    return path


def deployed_upstream(addresses: list[str]) -> str:
    """deploy/nginx/hotline.conf's `upstream hotline_web` block, its web nodes replaced by these
    with the deployed nodes' parameters: what is tested is what is deployed."""
    text = (ROOT / "deploy" / "nginx" / "hotline.conf").read_text()
    block = re.search(r"^upstream hotline_web \{\n(.*?)^\}", text, flags=re.M | re.S)
    assert block, "deploy/nginx/hotline.conf has no `upstream hotline_web { ... }` block"
    server = re.compile(r"^\s*server\s+\S+?(\s[^;#]*)?;")
    lines = block.group(1).splitlines()
    found = next(m for m in map(server.match, lines) if m)
    others = [line for line in lines if not server.match(line)]
    servers = [f"    server {a}{found.group(1) or ''};" for a in addresses]
    return "\n".join(["upstream hotline_web {", *servers, *others, "}"])


class Nginx:
    def __init__(self, tmp: Path, upstreams: list[str]):
        self.dir = tmp
        tmp.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        upstream = deployed_upstream(upstreams)
        temps = "\n".join(f"  {kind}_temp_path {tmp / kind};" for kind in ("client_body", "proxy", "fastcgi",
                                                                              "uwsgi", "scgi"))
        (tmp / "nginx.conf").write_text(f"""
daemon off;
user {getpass.getuser()};
worker_processes 1;
pid {tmp / 'nginx.pid'};
error_log {tmp / 'error.log'} warn;
events {{ worker_connections 1024; }}
http {{
  access_log {tmp / 'access.log'};
{temps}
{upstream}
  server {{
    listen 127.0.0.1:{self.port};
    location / {{
      include {ROOT / 'deploy' / 'nginx' / 'hotline-proxy.conf'};
    }}
  }}
}}
""")
        self.log = (tmp / "nginx.out").open("wb")
        self.proc = subprocess.Popen([NGINX, "-p", str(tmp), "-c", str(tmp / "nginx.conf")], stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()

    def errors(self) -> str:
        path = self.dir / "error.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""


@dataclass
class Node:
    """One `run.py ROLE` process (its own session, so a kill takes its children too)."""

    name: str
    role: list[str]
    env: dict[str, str]
    log: Path
    proc: subprocess.Popen[bytes] | None = None
    killed: bool = False

    def start(self) -> Node:
        out = self.log.open("ab")
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "run.py"), *self.role], env=self.env, cwd=ROOT,
                                     stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        out.close()
        return self

    def kill(self) -> None:
        """Pulled plug: SIGKILL to the node's whole process group, no goodbye."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        self.killed = True

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-2500:] if self.log.exists() else ""


@dataclass
class Cluster:
    tmp: Path
    redis_url: str
    database_url: str
    twilio: dict[str, str]  # TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, HOTLINE_SIM_URL of the sim
    web_workers: int = 2
    nodes: dict[str, Node] = field(default_factory=dict)
    nginx: Nginx | None = None
    web_ports: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.config = cluster_config(self.tmp)
        self.recordings = self.tmp / "shared" / "recordings"  # the shared mount of a real layout
        self.recordings.mkdir(parents=True)
        self.web_ports = {name: free_port() for name in ("web-a", "web-b")}
        self.nginx = Nginx(self.tmp / "nginx", [f"127.0.0.1:{p}" for p in self.web_ports.values()])
        self.public_url = self.nginx.url

    def env_for(self, node: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in (*SCRUB, "HOTLINE_SIM_URL", "PROMETHEUS_MULTIPROC_DIR")}
        env.update(HOTLINE_CONFIG=str(self.config), HOTLINE_DATA_DIR=str(self.tmp / node / "data"),
                   HOTLINE_RECORDINGS_DIR=str(self.recordings), HOTLINE_PUBLIC_URL=self.public_url,
                   REDIS_URL=self.redis_url, DATABASE_URL=self.database_url, PYTHONUNBUFFERED="1",
                   HOTLINE_METRICS_TOKEN=METRICS_TOKEN, **self.twilio)
        if node in self.web_ports:
            env["HOTLINE_BIND"] = f"127.0.0.1:{self.web_ports[node]}"
        return env

    def add(self, node: str, name: str, role: list[str]) -> Node:
        (self.tmp / node).mkdir(exist_ok=True)
        proc = Node(name, role, self.env_for(node), self.tmp / node / f"{name}.log").start()
        self.nodes[name] = proc
        return proc

    def start(self) -> Cluster:
        for web in self.web_ports:
            self.add(web, web, ["web", "--workers", str(self.web_workers)])
        for worker in ("worker-a", "worker-b"):
            self.add(worker, worker, ["worker"])
            self.add(worker, f"engine-{worker[-1]}", ["engine"])
        return self

    def wait_healthy(self, timeout: float = 120) -> None:
        """Each web node answers /healthz directly (Redis, database, a worker per queue)."""
        deadline = time.monotonic() + timeout
        for name, port in self.web_ports.items():
            while True:
                try:
                    if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=3).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                node = self.nodes[name]
                assert node.proc is not None and node.proc.poll() is None, f"{name} exited:\n{node.tail()}"
                assert time.monotonic() < deadline, f"{name} never healthy:\n{node.tail()}"
                time.sleep(0.3)

    def stop(self) -> None:
        for node in reversed(list(self.nodes.values())):
            node.stop()
        if self.nginx is not None:
            self.nginx.stop()

    def logs(self) -> str:
        return "\n".join(f"--- {n.name} ---\n{n.tail()}" for n in self.nodes.values()) + \
            f"\n--- nginx ---\n{self.nginx.errors() if self.nginx else ''}"


@contextmanager
def shared_services(tmp: Path) -> Iterator[tuple[str, str, Sim]]:
    """The services every node shares: PostgreSQL (a fresh schema, created once before any node, as
    `run.py db upgrade` on one node does in a deployment), Redis, the sim as Twilio. Yields the
    database URL, the Redis URL and the sim; drops the schema afterwards. Without PostgreSQL the
    calling test is skipped (failed in CI): see tests/support/postgres.py."""
    url, drop = postgres_schema_url()
    db = Database(url)
    create_schema(db.engine)
    db.engine.dispose()
    redis = start_embedded_redis(tmp / "redis", persist=False)
    sim = Sim(virtual_time=False, webhook_timeout=15.0)
    sim.start(host="127.0.0.1", port=0)
    try:
        yield url, redis.url, sim
    finally:
        sim.stop()
        redis.stop()
        drop()


def cluster_for(tmp: Path, database_url: str, redis_url: str, sim: Sim) -> Cluster:
    """A cluster (not started) wired to the sim: the hotline number's webhooks go to nginx, and
    every responder in config.toml answers after a second and presses 1."""
    cluster = Cluster(tmp, redis_url, database_url, {
        "TWILIO_ACCOUNT_SID": sim.account_sid, "TWILIO_AUTH_TOKEN": sim.auth_token,
        "HOTLINE_SIM_URL": sim.api_base_url})
    cfg = load_config(cluster.config, env=cluster.env_for("web-a"))
    for person in cfg.people.values():
        sim.phone(person.phone).script(["1"], answer_after=1.0)
    sim.add_number(HOTLINE, voice_url=f"{cluster.public_url}/voice/incoming",
                   voice_fallback_url=f"{cluster.public_url}/voice/fallback",
                   status_callback=f"{cluster.public_url}/voice/status")
    return cluster


def schema_engine(database_url: str) -> Engine:
    """An engine on the cluster's PostgreSQL schema (the `options=-csearch_path=...` of its URL)."""
    schema = parse_qs(urlparse(database_url).query)["options"][0].split("=")[1]
    return create_engine(sqlalchemy_url(), connect_args={"options": f"-csearch_path={schema}"})
