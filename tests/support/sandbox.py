"""A whole hotline on one machine for tests and benchmarks: the app behind a real HTTP server,
the sim playing Twilio in virtual time, a real Redis, real RQ worker processes and, when asked,
the engine process, on SQLite or PostgreSQL.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from redis import Redis
from sqlalchemy import select
from werkzeug.serving import make_server

from hotline.base.config import ROOT, load_config
from hotline.base.cycle import CycleReport, run_cycle
from hotline.base.models import AuditEvent, Call, Incident, Recording
from hotline.base.runtime import get_runtime, set_runtime
from hotline.service.app import create_app
from hotline.service.embedded_redis import free_port
from hotline.service.supervisor import ENGINE_ARGV, WORKER_QUEUES, worker_argv, worker_env
from sim import Sim

T = TypeVar("T")
HOTLINE = "+886277001234"


class Hotline:
    def __init__(self, tmp: Path, redis_url: str, database: str = "sqlite", config_path: Path | None = None,
                 extra_env: dict[str, str] | None = None, on_close: Callable[[], None] | None = None):
        """`database`: "sqlite" (a file under `tmp`) or a database URL; `on_close` runs last (e.g.
        dropping a PostgreSQL schema made for this hotline)."""
        self.tmp = tmp
        self._drop_db = on_close
        Redis.from_url(redis_url).flushdb()  # jobs of an earlier hotline (same ids, other database) must not run here
        db_url = "" if database == "sqlite" else database
        self.port = free_port()
        self.public_url = f"http://127.0.0.1:{self.port}"
        self.sim = Sim(virtual_time=True, webhook_timeout=5.0)
        self.sim.start(host="127.0.0.1", port=0)
        self.env = {
            "HOTLINE_CONFIG": str(config_path or ROOT / "config.toml"), "HOTLINE_DATA_DIR": str(tmp / "data"),
            "HOTLINE_RECORDINGS_DIR": str(tmp / "recordings"),
            "HOTLINE_PUBLIC_URL": self.public_url, "REDIS_URL": redis_url, "DATABASE_URL": db_url,
            "TWILIO_ACCOUNT_SID": self.sim.account_sid, "TWILIO_AUTH_TOKEN": self.sim.auth_token,
            "HOTLINE_SIM_URL": self.sim.api_base_url, **worker_env(redis_url), **(extra_env or {}),
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
                                status_callback=f"{self.public_url}/voice/status",
                                sms_url=f"{self.public_url}/sms/incoming")

    # -- processes -----------------------------------------------------------------------------
    def start_worker(self, *queues: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        """A real `rq worker` process with the same environment the supervisor gives it (and `env`
        over it: bench/broadcast.py sends a sender's status callbacks to a web server of their own)."""
        return self._spawn(worker_argv(queues or WORKER_QUEUES), env)

    def start_engine(self) -> subprocess.Popen[bytes]:
        """The engine process, running the convergence cycle every couple of seconds."""
        return self._spawn(ENGINE_ARGV)

    def _spawn(self, argv: list[str], extra: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        env = {**os.environ, **self.env, **(extra or {}), "PYTHONUNBUFFERED": "1"}
        log = open(self.tmp / f"worker-{len(self.workers)}.log", "wb")  # noqa: SIM115
        proc = subprocess.Popen([sys.executable, *argv], env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.workers.append(proc)
        return proc

    def converge(self, now: datetime | None = None, every_active: bool = False) -> CycleReport:
        """One pass of the convergence cycle in this process, as the engine would run it, but without
        waiting for an engine process's lease (every step is idempotent)."""
        return run_cycle(now, every_active=every_active, exclusive=False)

    def close(self) -> None:
        """Stop everything; then fail if any <Say> of the hotline was one Twilio would not speak."""
        refused = self.refused_says()
        self._stop()
        assert not refused, f"<Say> Twilio would not speak (voice/language, sim/voices.py): {refused}"

    def refused_says(self) -> list[dict[str, Any]]:
        """Every <Say> the sim refused (warning 13511: a voice Twilio does not document for its language)."""
        with self.sim.cond:
            return [e for e in self.sim.events if e["kind"] == "error" and e.get("code") == 13511]

    def _stop(self) -> None:
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
    def reported(self, keys: str, caller: str) -> int:
        """A report whose caller's phone then answers no call by itself (`manual`), as the
        console tests want: the incident's id once it is filed."""
        self.sim.phone(caller).manual()
        c = self.report(keys, caller)
        return self.wait_for(lambda: self.incident_for(c.sid), what="incident").id

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
