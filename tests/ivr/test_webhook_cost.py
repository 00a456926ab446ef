"""What one reporting call's webhooks cost the database, counted: each webhook is one unit of work
(one pooled connection, one commit) with a handful of SQL statements, and still nothing is lost:
the report, its details and its recording are stored, and the follow-up jobs are queued once the
response is sent. (Issue 12's latency target rests on this; wall-clock targets live in bench/.)"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html import unescape
from urllib.parse import urlsplit

import pytest
from redis import Redis
from rq import Queue
from sqlalchemy import event, select

from hotline.base.config import ROOT, load_config
from hotline.base.models import AuditEvent, Call, Incident, Recording
from hotline.base.runtime import get_runtime, set_runtime
from hotline.service.app import create_app
from sim.signing import signature

TOKEN = "cost-token"
PUBLIC = "https://hotline.example.org"
HOTLINE = "+886277001234"
CALLER = "+886955123456"
SIM = "https://sim.example.org"
# The most SQL statements each webhook of a plain report may run (fewer is fine). The classifying
# step's sixth is the drills' rule 5: one indexed look for a running drill, which a real report stops.
MOST_STATEMENTS = {"/voice/incoming": 2, "/voice/step 1": 6, "/voice/step 2": 3, "/voice/recorded": 5,
                   "/voice/recording-status": 4, "/voice/status": 3}  # its 4th: the call check (issue 24)


@pytest.fixture()
def app(tmp_path, clean_redis):
    env = {"TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": TOKEN, "HOTLINE_PUBLIC_URL": PUBLIC,
           "HOTLINE_DATA_DIR": str(tmp_path / "data"), "REDIS_URL": clean_redis, "HOTLINE_SIM_URL": SIM}
    yield create_app(load_config(ROOT / "config.toml", env=env))
    set_runtime(None)


class Counter:
    def __init__(self) -> None:
        self.statements = self.connections = self.commits = 0

    def attach(self, engine) -> None:  # type: ignore[no-untyped-def]
        event.listen(engine, "before_cursor_execute", lambda *a: self._add("statements"))
        event.listen(engine.pool, "checkout", lambda *a: self._add("connections"))
        event.listen(engine, "commit", lambda *a: self._add("commits"))

    def _add(self, name: str) -> None:
        setattr(self, name, getattr(self, name) + 1)

    def snapshot(self) -> tuple[int, int, int]:
        return self.statements, self.connections, self.commits


def test_each_webhook_of_a_report_is_one_unit_of_work_with_few_statements(app):
    client, counter, spent = app.test_client(), Counter(), {}
    counter.attach(get_runtime().db.engine)
    sid = "CA" + "1" * 32
    base = {"AccountSid": "AC" + "0" * 32, "CallSid": sid, "CallStatus": "in-progress", "From": CALLER,
            "To": HOTLINE, "Direction": "inbound"}

    def post(label: str, url: str, extra: dict[str, str] | None = None) -> str:
        params = {**base, **(extra or {})}
        split = urlsplit(url)
        before = counter.snapshot()
        resp = client.post(split.path + (f"?{split.query}" if split.query else ""), data=params,
                           headers={"X-Twilio-Signature": signature(TOKEN, url, params)})
        resp.close()  # as a WSGI server does: the queued follow-ups go then
        assert resp.status_code == 200, resp.data
        spent[label] = tuple(after - b for after, b in zip(counter.snapshot(), before, strict=True))
        return resp.get_data(as_text=True)

    def attribute(twiml: str, name: str) -> str:
        found = re.search(rf'{name}="([^"]*)"', twiml)
        assert found, twiml
        return unescape(found.group(1))

    twiml = post("/voice/incoming", f"{PUBLIC}/voice/incoming")
    twiml = post("/voice/step 1", attribute(twiml, "action"), {"Digits": "1"})
    twiml = post("/voice/step 2", attribute(twiml, "action"), {"Digits": "1"})
    recording = {"RecordingSid": "RE" + "1" * 32, "RecordingUrl": f"{SIM}/Recordings/RE{'1' * 32}",
                 "RecordingDuration": "4"}
    closing = post("/voice/recorded", attribute(twiml, "action"), {**recording, "Digits": "#"})
    post("/voice/recording-status", attribute(twiml, "recordingStatusCallback"),
         {**recording, "RecordingStatus": "completed"})
    post("/voice/status", f"{PUBLIC}/voice/status", {"CallStatus": "completed", "CallDuration": "30"})

    for label, (statements, connections, commits) in spent.items():
        assert connections == 1 and commits == 1, (label, spent[label])
        assert statements <= MOST_STATEMENTS[label], (label, spent[label])

    with get_runtime().db.session() as s:  # and nothing was lost on the way
        inc = s.scalars(select(Incident)).one()
        assert (inc.type_key, inc.severity, inc.caller, inc.ref) == ("natural_disaster", "danger", CALLER,
                                                                      str(1000 + inc.id))
        assert " ".join(inc.ref) in closing  # the caller heard their reference
        call = s.scalars(select(Call)).one()
        assert (call.incident_id, call.status, call.abandoned) == (inc.id, "completed", False)
        rec = s.scalars(select(Recording)).one()
        assert (rec.incident_id, rec.sid, rec.source_url) == (inc.id, recording["RecordingSid"],
                                                              recording["RecordingUrl"])
        assert inc.page_due_at is not None and inc.page_due_at <= call.ended_at  # paged once the caller was done
        kinds = [a.kind for a in s.scalars(select(AuditEvent).order_by(AuditEvent.id))]
        assert kinds == ["incident_created", "severity_set", "recording_reported"]
    queued = {job.id for name in ("callout", "recordings")
              for job in Queue(name, connection=Redis.from_url(get_runtime().config.redis_url)).jobs}
    assert queued == {f"page-{inc.id}", f"fetch-recording-{rec.id}"}


FRESH_WORKER = """
import json, sys
from hotline.base.config import ROOT, load_config
from hotline.base.models import Base
from hotline.service.app import create_app
before = sorted(m.class_.__name__ for m in Base.registry.mappers if not m.configured)
create_app(load_config(ROOT / "config.toml", env=json.loads(sys.argv[1])))
after = sorted(m.class_.__name__ for m in Base.registry.mappers if not m.configured)
print(json.dumps([before, after]))
"""


def test_a_fresh_web_worker_is_ready_before_its_first_webhook(tmp_path, redis_url):
    """SQLAlchemy configures its mappers at the first ORM query, tens of milliseconds that a fresh
    web worker (started, restarted after a crash) would spend on some caller's key press: the app
    does it when it is created, in a process of its own here so nothing else has done it first."""
    env = {"TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": TOKEN, "HOTLINE_PUBLIC_URL": PUBLIC,
           "HOTLINE_DATA_DIR": str(tmp_path / "data"), "REDIS_URL": redis_url, "HOTLINE_SIM_URL": SIM}
    done = subprocess.run([sys.executable, "-c", FRESH_WORKER, json.dumps(env)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=True)
    before, after = json.loads(done.stdout.strip().splitlines()[-1])
    assert "Incident" in before  # importing the models configures nothing by itself
    assert after == []
