"""Events API benchmark: `python3 run.py bench events [--events 1000] [--keys 50] [--concurrency 16]`.

Against the production web server (gunicorn serving bench/bare_app.py: the hotline plus the bare
TwiML endpoint of bench/webhooks.py), the callout workers run.py starts (supervisor.WORKERS),
Redis and the sim, in one run:

- throughput: N POSTs to the bare TwiML endpoint, then N Events v2 triggers spread over K
  dedup keys, each as fast as the server accepts at the same concurrency; every request must
  be answered (202 for events) and exactly K incidents must exist afterwards;
- event to first Calls.create: from sending an event to the sim receiving the first
  Calls.create of its callout (storm window 0: one callout per incident), against the callout's
  own first-dial figure measured here the way bench/callout.py does (a caller's
  recording-complete webhook sent -> the first Calls.create), same server, same workers: both
  one at a time, and (for the events) also for the K keys of the flood, whose page jobs arrive
  at once while the flood is being answered;
- paging under the flood (issue #29, target 3): phone reports made one at a time *while* the flood
  holds the web tier at full load (recording-complete webhook sent -> first Calls.create), against
  the same kind of report made one at a time in calm, same run. The web tier is run.py's own
  gunicorn command and configuration (supervisor.gunicorn_argv: its process priorities and no
  keep-alive included), the callout workers at run.py's priority too, and paging's precedence at
  SQLite's write gate (hotline.base.sqlite_gate); `--before` runs without the priorities (web
  unniced, no precedence). Where those reports' time went is printed too (`where_it_waited`).
Timestamps are `time.time()` on this machine; p50/p99 and the ratios are printed as JSON.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0]).resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)  # else bench/callout.py would shadow the callout package

import requests  # noqa: E402
from redis import Redis  # noqa: E402
from rq.job import Job  # noqa: E402
from rq.queue import Queue  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from bench.callout import ONCALL, pct, summary  # noqa: E402
from hotline.base.config import load_config  # noqa: E402
from hotline.base.lifecycle import Actor, Channel  # noqa: E402
from hotline.base.models import Incident  # noqa: E402
from hotline.base.runtime import Runtime, set_runtime  # noqa: E402
from hotline.base.sqlite_gate import PRECEDENCE_ENV  # noqa: E402
from hotline.events import integrations  # noqa: E402
from hotline.events.models import EventAlert  # noqa: E402
from hotline.paging import commands, incidents  # noqa: E402
from hotline.paging.models import Attempt  # noqa: E402
from hotline.service.embedded_redis import free_port, start_embedded_redis  # noqa: E402
from hotline.service.supervisor import (  # noqa: E402
    WEB_NICE,
    WEB_NICE_ENV,
    WEB_THREADS,
    WEB_WORKERS,
    WORKERS,
    gunicorn_argv,
    worker_argv,
    worker_env,
)
from sim import Sim  # noqa: E402
from sim.signing import signature  # noqa: E402

EVENTS = """
[events]
rate_limit_per_minute = 1000000
"""
CHEN = "+886912000001"


def write_config(folder: Path) -> Path:
    base = (ROOT / "config.toml").read_text(encoding="utf-8").split("# --- On-call", 1)[0]
    base = base.replace('flows_dir = "ivr_flows"', f'flows_dir = "{ROOT / "ivr_flows"}"')
    path = folder / "config.toml"
    path.write_text(base + ONCALL + EVENTS, encoding="utf-8")
    return path


class Creates:
    """When the sim received each Calls.create, by the call's sid."""

    def __init__(self, sim: Sim) -> None:
        self.at: dict[str, float] = {}
        self.lock = threading.Lock()
        original = sim.create_outbound_call

        def create(to: str, from_: str, options: Any) -> Any:
            arrived = time.time()
            created = original(to, from_, options)
            with self.lock:
                self.at[created["sid"]] = arrived
            return created

        sim.create_outbound_call = create  # type: ignore[method-assign]


def blast(url: str, bodies: list[Any], concurrency: int, as_json: bool) -> tuple[list[int], list[float], float]:
    """`_blast` in a process of its own: the sim lives in this one, and a client hammering the
    server from here would starve the sim's threads (the GIL), delaying the Calls.create we time."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(_blast, (url, bodies, concurrency, as_json))


def _blast(url: str, bodies: list[Any], concurrency: int, as_json: bool) -> tuple[list[int], list[float], float]:
    """POST every body as fast as the server takes them; (statuses, send times, wall seconds)."""
    local = threading.local()
    sent = [0.0] * len(bodies)

    def one(i: int) -> int:
        session = getattr(local, "s", None) or requests.Session()
        local.s = session
        sent[i] = time.time()
        r = session.post(url, json=bodies[i], timeout=60) if as_json else session.post(url, data=bodies[i], timeout=60)
        return r.status_code

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        statuses = list(pool.map(one, range(len(bodies))))
    return statuses, sent, time.perf_counter() - started


def first_dials(db: Any, creates: Creates, incident_ids: dict[int, float], timeout: float = 120.0) -> dict[int, float]:
    """Per incident: its callout's first Calls.create minus the moment its first request was sent."""
    deadline = time.monotonic() + timeout
    while True:
        with db.session() as s:
            rows = s.execute(select(Incident.id, Attempt.call_sid)
                             .join(Attempt, Attempt.callout_id == _callout_of())
                             .where(Incident.id.in_(list(incident_ids)), Attempt.call_sid.is_not(None))
                             .order_by(Attempt.id)).all()
        first: dict[int, float] = {}
        for incident_id, sid in rows:
            if incident_id not in first and sid in creates.at:
                first[incident_id] = creates.at[sid] - incident_ids[incident_id]
        if len(first) == len(incident_ids) or time.monotonic() > deadline:
            if len(first) != len(incident_ids):
                raise SystemExit(f"FAILURE: only {len(first)} of {len(incident_ids)} incidents were dialled")
            return first
        time.sleep(0.2)


def where_it_waited(redis_url: str, sent: dict[int, float], dials: dict[int, float]) -> dict[str, Any]:
    """Where each report's first dial spent its time, from its page job's own record in Redis
    (`page-{incident}`: `hotline.paging.jobs.SPECS`): the webhook until the job was queued (the
    web tier), queued until a callout worker took it (the queue), taken until its Calls.create
    reached the sim (the job itself); and what the callout queue ran while the slowest tenth of
    them waited, by job, with each kind's own duration over the whole run."""
    conn = Redis.from_url(redis_url)
    queue = Queue("callout", connection=conn)
    ids = {*queue.finished_job_registry.get_job_ids(), *queue.failed_job_registry.get_job_ids(),
           *queue.started_job_registry.get_job_ids()}
    ran = [(_short(j.func_name or ""), _epoch(j.started_at), _epoch(j.ended_at) if j.ended_at else None)
           for j in Job.fetch_many(sorted(ids), connection=conn) if j is not None and j.started_at]
    web, waited, job, windows = [], [], [], []
    for incident_id, dial in dials.items():
        page = Job.fetch(f"page-{incident_id}", connection=conn)
        if page.enqueued_at is None or page.started_at is None:
            continue
        queued, started = _epoch(page.enqueued_at), _epoch(page.started_at)
        web.append(queued - sent[incident_id])
        waited.append(started - queued)
        job.append(sent[incident_id] + dial - started)
        windows.append((dial, queued, started))
    slowest = sorted(windows, reverse=True)[:max(1, len(windows) // 10)]
    ahead: Counter[str] = Counter()
    for _, queued, started in slowest:
        ahead.update(name for name, began, _ in ran if queued <= began < started)
    took: dict[str, list[float]] = {}
    for name, began, ended in ran:
        if ended is not None:
            took.setdefault(name, []).append(ended - began)
    return {"webhook_to_job_queued": summary(web), "job_queued_to_started": summary(waited),
            "job_started_to_calls_create": summary(job),
            "jobs_run_while_the_slowest_tenth_waited": dict(ahead.most_common()),
            "job_seconds_by_kind": {k: {"n": len(v), **summary(v)} for k, v in sorted(took.items())}}


def _epoch(at: datetime) -> float:
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()


def _short(func_name: str) -> str:
    return func_name.rsplit(".", 1)[-1]


def _callout_of() -> Any:
    from hotline.paging.models import callout_incidents

    return (select(callout_incidents.c.callout_id).where(callout_incidents.c.incident_id == Incident.id)
            .order_by(callout_incidents.c.callout_id).limit(1).scalar_subquery())


def phone_first_dials(url: str, db: Any, auth_token: str, n: int) -> dict[int, float]:
    """The callout's own figure: a caller's recording-complete webhook -> the first Calls.create."""
    sent: dict[int, float] = {}
    for i in range(n):
        incident_id, sent[incident_id] = phone_report(url, db, auth_token, f"CAbenchev{i:025d}", "+886912345678",
                                                      f"RE{i:032d}")
        time.sleep(0.3)  # one at a time, as bench/callout.py measures it
    return sent


def event_first_dials(url: str, db: Any, key: str, n: int) -> dict[int, float]:
    """Events one at a time, no flood: the same conditions as the phone figure."""
    sent: dict[int, float] = {}
    session = requests.Session()
    for i in range(n):
        body = {"routing_key": key, "event_action": "trigger", "dedup_key": f"alone-{i}",
                "payload": {"summary": "bench event alone", "source": "bench", "severity": "critical"}}
        at = time.time()
        session.post(f"{url}/events/v2/enqueue", json=body, timeout=60).raise_for_status()
        with db.session() as s:
            incident_id = s.scalar(select(EventAlert.incident_id).where(EventAlert.dedup_key == f"alone-{i}"))
        sent[incident_id] = at
        time.sleep(0.3)
    return sent


def phone_dials_during(url: str, db: Any, auth_token: str, flood_on: threading.Event,
                       flood_over: threading.Event, out: dict[int, float]) -> None:
    """Phone reports one at a time for as long as the flood lasts (from its first second): the
    webhook queues with the flood's requests, and the page job must not wait for the flood's end."""
    flood_on.wait()
    time.sleep(1.0)  # the web tier is at full load by now
    i = 0
    while not flood_over.is_set():  # each report is sent while the flood lasts; its answer may come later
        incident_id, at = phone_report(url, db, auth_token, f"CAbenchfl{i:025d}", "+886912345679", f"RF{i:032d}",
                                       timeout=60)
        out[incident_id] = at
        i += 1
        time.sleep(0.3)


def phone_report(url: str, db: Any, auth_token: str, sid: str, caller: str, recording_sid: str,
                 timeout: float = 10) -> tuple[int, float]:
    """A report filed as its call files it, then its recording-complete webhook: (the incident,
    when the webhook was sent)."""
    with db.session() as s:
        incidents.register_call(s, sid, caller, "+886277001234")
        incident_id = commands.report(s, call_sid=sid, type_key="other", lang="zh-TW", caller=caller,
                                      actor=Actor(caller, Channel.CALLER), record_max_seconds=180).incident_ids[0]
    at = time.time()
    post_signed_to(url, auth_token, f"/voice/recording-status?i={incident_id}",
                   {"CallSid": sid, "RecordingStatus": "completed", "RecordingSid": recording_sid,
                    "RecordingUrl": "http://127.0.0.1:9/nothing", "RecordingDuration": "3"}, timeout=timeout)
    return incident_id, at


def post_signed_to(base: str, auth_token: str, path: str, form: dict[str, str], timeout: float = 10) -> None:
    url = base + path
    r = requests.post(url, data=form, headers={"X-Twilio-Signature": signature(auth_token, url, form)},
                      timeout=timeout)
    r.raise_for_status()


def run(n_events: int, n_keys: int, concurrency: int, phone_incidents: int, database: str = "",
        before: bool = False) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="bench-events-"))
    redis = start_embedded_redis(tmp / "redis", persist=False)
    sim = Sim(virtual_time=True, webhook_timeout=30.0)
    sim.start()
    creates = Creates(sim)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "HOTLINE_CONFIG": str(write_config(tmp)), "HOTLINE_DATA_DIR": str(tmp / "data"),
           "HOTLINE_RECORDINGS_DIR": str(tmp / "rec"), "HOTLINE_PUBLIC_URL": url, "REDIS_URL": redis.url,
           "TWILIO_ACCOUNT_SID": sim.account_sid, "TWILIO_AUTH_TOKEN": sim.auth_token,
           "HOTLINE_SIM_URL": sim.api_base_url, "DATABASE_URL": database, "PYTHONUNBUFFERED": "1",
           "HOTLINE_WSGI_APP": "bench.bare_app:app", "HOTLINE_BIND": f"127.0.0.1:{port}"}
    if before:
        env.update({WEB_NICE_ENV: "0", PRECEDENCE_ENV: "0"})
    cfg = load_config(env["HOTLINE_CONFIG"], env=env)
    set_runtime(Runtime(cfg))
    from hotline.base.runtime import get_runtime

    db = get_runtime().db
    procs = [subprocess.Popen([sys.executable, *gunicorn_argv(cfg)], env=env, cwd=ROOT,
                              stdout=(tmp / "web.log").open("wb"), stderr=subprocess.STDOUT)]
    try:
        for _ in range(300):
            try:
                if requests.get(f"{url}/healthz", timeout=1).status_code in (200, 503):
                    break
            except requests.RequestException:
                time.sleep(0.1)
        for i, queues in enumerate(q for q in WORKERS.values() if "callout" in q):  # as run.py starts them
            procs.append(subprocess.Popen([sys.executable, *worker_argv(queues, with_scheduler=i == 0)], cwd=ROOT,
                                          env={**env, **worker_env(redis.url)},
                                          stdout=(tmp / f"worker-{i}.log").open("wb"), stderr=subprocess.STDOUT))
        with db.session() as s:
            key = integrations.add(s, "bench", "cyber_security", False, "bench").key
        time.sleep(2)  # the worker registers and reconciles before timing starts
        blast(f"{url}/bench/bare", [{"Digits": "1"}] * 50, concurrency, as_json=False)  # warm-up
        bare, _, bare_wall = blast(f"{url}/bench/bare", [{"Digits": "1"}] * n_events, concurrency, as_json=False)
        # calm first: the flood leaves callouts ringing (and their callbacks) behind it for a while
        phone_sent = phone_first_dials(url, db, sim.auth_token, phone_incidents)
        phone_dials = list(first_dials(db, creates, phone_sent).values())
        bodies = [{"routing_key": key, "event_action": "trigger", "dedup_key": f"bench-{i % n_keys}",
                   "payload": {"summary": f"bench event {i}", "source": "bench", "severity": "critical",
                               "custom_details": {"n": i}}} for i in range(n_events)]
        flood_on, flood_over, flood_phone_sent = threading.Event(), threading.Event(), {}
        phones = threading.Thread(target=phone_dials_during,
                                  args=(url, db, sim.auth_token, flood_on, flood_over, flood_phone_sent))
        phones.start()
        flood_on.set()
        try:
            statuses, sent, events_wall = blast(f"{url}/events/v2/enqueue", bodies, concurrency, as_json=True)
        finally:
            flood_over.set()
            phones.join()
        first_sent: dict[str, float] = {}
        for body, at in zip(bodies, sent, strict=True):
            first_sent[body["dedup_key"]] = min(at, first_sent.get(body["dedup_key"], at))
        with db.session() as s:
            alerts = list(s.scalars(select(EventAlert)))
            incident_total = s.scalar(select(func.count()).select_from(Incident)) - len(phone_sent) - len(
                flood_phone_sent)
        event_dials = list(first_dials(db, creates, {a.incident_id: first_sent[a.dedup_key] for a in alerts}).values())
        if not flood_phone_sent:
            raise SystemExit("FAILURE: the flood ended before a phone report could be made during it; "
                             "raise --events")
        flood_phone_by_incident = first_dials(db, creates, flood_phone_sent)
        waits = where_it_waited(redis.url, flood_phone_sent, flood_phone_by_incident)
        flood_phone_dials = list(flood_phone_by_incident.values())
        alone_dials = list(first_dials(db, creates, event_first_dials(url, db, key, phone_incidents)).values())
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:  # a loaded machine: the rest must still be stopped
                p.kill()
                p.wait()
        sim.stop()
        redis.stop()
    ok = statuses.count(202) == n_events and len(alerts) == n_keys and incident_total == n_keys
    bare_rate, events_rate = len(bare) / bare_wall, n_events / events_wall
    return {
        "events": n_events, "dedup_keys": n_keys, "concurrency": concurrency,
        "gunicorn": f"{WEB_WORKERS} workers x {WEB_THREADS} threads, {os.cpu_count()} cores",
        "paging_priority": "off (--before)" if before
        else f"web workers nice {WEB_NICE}, paging first at the write gate",
        "answered_202": statuses.count(202), "other_answers": sorted(set(statuses) - {202}),
        "incidents": incident_total, "repeats_counted": sum(a.events for a in alerts),
        "bare_twiml_per_s": round(bare_rate, 1), "events_per_s": round(events_rate, 1),
        "throughput_ratio_events_to_bare": round(events_rate / bare_rate, 2),
        "event_to_first_calls_create_one_at_a_time": summary(alone_dials),
        "phone_first_dial_one_at_a_time": summary(phone_dials),
        "p99_ratio_event_to_phone_first_dial": round(pct(alone_dials, 99) / pct(phone_dials, 99), 2),
        "event_to_first_calls_create_during_the_flood": summary(event_dials),
        "p99_ratio_flood_to_phone_first_dial": round(pct(event_dials, 99) / pct(phone_dials, 99), 1),
        "flood_seconds": round(events_wall, 1),
        "phone_first_dial_during_the_flood": {"n": len(flood_phone_dials), **summary(flood_phone_dials)},
        "p99_ratio_phone_first_dial_flood_to_calm": round(pct(flood_phone_dials, 99) / pct(phone_dials, 99), 1),
        "phone_first_dial_during_the_flood_where_it_waited": waits,
        "target_3_phone_first_dial_p99_during_flood_le_2s": pct(flood_phone_dials, 99) <= 2.0,
        "result": "OK" if ok else "FAILURE",
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=1000)
    ap.add_argument("--keys", type=int, default=50)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--phone-incidents", type=int, default=20)
    ap.add_argument("--database", default="", help="DATABASE_URL (default: SQLite in a temp folder); use an empty one")
    ap.add_argument("--before", action="store_true",
                    help="without paging's priority (web workers unniced, no precedence at the write gate)")
    args = ap.parse_args()
    result = run(args.events, args.keys, args.concurrency, args.phone_incidents, args.database, args.before)
    result["load_average"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(result, indent=2))
    return 0 if result["result"] == "OK" else 1


if __name__ == "__main__":
    sys.exit(main())
