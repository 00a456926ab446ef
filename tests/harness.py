"""A whole hotline for end-to-end tests: the app behind a real HTTP server, the sim in virtual
time, a real Redis and real RQ worker processes, on SQLite or PostgreSQL.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import create_engine, select, text
from werkzeug.serving import make_server

from hotline.base.config import ROOT, load_config
from hotline.base.models import AuditEvent, Call, Incident, Recording
from hotline.base.runtime import get_runtime, set_runtime
from hotline.service.app import create_app
from hotline.service.embedded_redis import free_port
from sim import Sim

T = TypeVar("T")
POSTGRES_URL = os.environ.get("HOTLINE_TEST_POSTGRES", "postgresql://root@127.0.0.1:5432/test")
HOTLINE = "+886277001234"


def postgres_schema_url() -> tuple[str, Callable[[], None]]:
    """A fresh schema per harness, so test runs never see each other's rows."""
    schema = "t_" + secrets.token_hex(6)
    admin = create_engine(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f"CREATE SCHEMA {schema}"))

    def drop() -> None:
        with admin.connect() as c:
            c.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()

    return f"{POSTGRES_URL}?options=-csearch_path%3D{schema}", drop


class Hotline:
    def __init__(self, tmp: Path, redis_url: str, database: str = "sqlite", config_path: Path | None = None,
                 extra_env: dict[str, str] | None = None):
        self.tmp = tmp
        self._drop_db: Callable[[], None] | None = None
        db_url = ""
        if database == "postgresql":
            db_url, self._drop_db = postgres_schema_url()
        self.port = free_port()
        self.public_url = f"http://127.0.0.1:{self.port}"
        self.sim = Sim(virtual_time=True, webhook_timeout=5.0)
        self.sim.start(host="127.0.0.1", port=0)
        self.env = {
            "HOTLINE_CONFIG": str(config_path or ROOT / "config.toml"), "HOTLINE_DATA_DIR": str(tmp / "data"),
            "HOTLINE_RECORDINGS_DIR": str(tmp / "recordings"),
            "HOTLINE_PUBLIC_URL": self.public_url, "REDIS_URL": redis_url, "DATABASE_URL": db_url,
            "TWILIO_ACCOUNT_SID": self.sim.account_sid, "TWILIO_AUTH_TOKEN": self.sim.auth_token,
            "HOTLINE_SIM_URL": self.sim.api_base_url, **(extra_env or {}),
        }
        self.config = load_config(self.env["HOTLINE_CONFIG"], env=self.env)
        self.app = create_app(self.config)
        self.runtime = get_runtime()
        self.server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()
        self.workers: list[subprocess.Popen[bytes]] = []
        for number in self.config.numbers:
            self.sim.add_number(number, voice_url=f"{self.public_url}/voice/incoming",
                                voice_fallback_url=f"{self.public_url}/voice/fallback",
                                status_callback=f"{self.public_url}/voice/status")

    # -- processes -----------------------------------------------------------------------------
    def start_worker(self, *queues: str) -> subprocess.Popen[bytes]:
        """A real `rq worker` process with the same environment the supervisor gives it."""
        from hotline.service.supervisor import WORKER_QUEUES, worker_argv

        env = {**os.environ, **self.env, "PYTHONUNBUFFERED": "1"}
        log = open(self.tmp / f"worker-{len(self.workers)}.log", "wb")  # noqa: SIM115
        proc = subprocess.Popen([sys.executable, *worker_argv(self.env["REDIS_URL"], queues or WORKER_QUEUES)],
                                env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.workers.append(proc)
        return proc

    def close(self) -> None:
        for proc in self.workers:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.workers:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.server.shutdown()
        self.sim.stop()
        self.runtime.db.engine.dispose()
        set_runtime(None)
        if self._drop_db:
            self._drop_db()

    # -- calling -----------------------------------------------------------------------------
    def report(self, keys: str = "1", caller: str = "+886912345678", wav: Path | None = None) -> Any:
        """A caller who knows what to report: one key per menu, speak (or not), press #."""
        c = self.sim.dial(caller, HOTLINE)
        c.expect_say("請選擇事件類型")
        for k in keys:
            c.press(k)
        c.expect_record()
        if wav:
            c.speak(wav)
        c.press("#")
        c.expect_hangup()
        return c

    # -- looking -----------------------------------------------------------------------------
    def wait_for(self, probe: Callable[[], T | None], timeout: float = 20.0, what: str = "condition") -> T:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = probe()
            if value:
                return value
            time.sleep(0.05)
        logs = "\n".join((self.tmp / f"worker-{i}.log").read_text(errors="replace")[-3000:]
                         for i in range(len(self.workers)))
        raise AssertionError(f"timed out waiting for {what}\nworker logs:\n{logs}")

    def session(self) -> Any:
        return self.runtime.db.session()

    def incident_for(self, call_sid: str) -> Incident | None:
        with self.session() as s:
            call = s.scalar(select(Call).where(Call.sid == call_sid))
            return s.get(Incident, call.incident_id) if call and call.incident_id else None

    def call_row(self, call_sid: str) -> Call | None:
        with self.session() as s:
            return s.scalar(select(Call).where(Call.sid == call_sid))

    def recordings(self, incident_id: int) -> list[Recording]:
        with self.session() as s:
            return list(s.scalars(select(Recording).where(Recording.incident_id == incident_id)))

    def audit(self, incident_id: int | None = None, kind: str | None = None) -> list[AuditEvent]:
        with self.session() as s:
            q = select(AuditEvent).order_by(AuditEvent.id)
            if incident_id is not None:
                q = q.where(AuditEvent.incident_id == incident_id)
            if kind:
                q = q.where(AuditEvent.kind == kind)
            return list(s.scalars(q))
