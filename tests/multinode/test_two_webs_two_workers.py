"""Two web nodes and two worker nodes on one PostgreSQL and one Redis, behind nginx; a storm of
calls through nginx; one web node and one worker node killed (SIGKILL, whole process group)
mid-storm. Nothing lost: every call that reported (or was sent to the fallback) has its
incident, paged, with its recording stored in the shared directory. Nothing doubled: one
incident per call, at most one accept per callout and per incident, one Calls.create per
callout attempt, one "dialed" per attempt. Counts are printed (`-s`).

X-Forwarded-* is honoured from nginx only: nginx sets the headers itself, so a client's own
X-Forwarded-For never reaches the app, and the web nodes listen on loopback only.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from sqlalchemy import text

from bench.storm import Caller, play
from sim.audio import beep_pcm, pcm_to_wav
from tests.support.cluster import METRICS_TOKEN, cluster_for, require_nginx, schema_engine, shared_services
from tests.support.lanes import starts_processes

CALLS = 30
WAVES = 3  # calls start in waves, so the kills land while calls are in every stage
SETTLE_SECONDS = 150  # well inside pytest's 300 s timeout: a failure names what was lost, with the logs


@pytest.fixture()
@starts_processes
def shared(tmp_path: Path):
    """The services every node shares: PostgreSQL (a fresh schema), Redis, the sim as Twilio."""
    require_nginx()
    with shared_services(tmp_path) as services:
        yield services


def query(engine, sql: str) -> list:  # type: ignore[no-untyped-def]
    with engine.connect() as c:
        return list(c.execute(text(sql)))


def test_storm_through_nginx_survives_losing_a_web_node_and_a_worker_node(tmp_path: Path, shared) -> None:
    database_url, redis_url, sim = shared
    cluster = cluster_for(tmp_path, database_url, redis_url, sim)  # every responder answers and presses 1
    db = schema_engine(database_url)
    holders: list[str] = []
    watching = threading.Event()
    try:
        cluster.start()
        cluster.wait_healthy()

        # --- the proxy boundary: the client's X-Forwarded-For never reaches the app ------------
        forged = requests.post(f"{cluster.public_url}/voice/incoming", data={"CallSid": "CAforged"},
                               headers={"X-Forwarded-For": "6.6.6.6", "X-Twilio-Signature": "bogus"}, timeout=10)
        assert forged.status_code == 403
        sources = {row[0] for row in query(db, "SELECT actor FROM audit_events WHERE kind = 'forged_webhook'")}
        assert sources == {"127.0.0.1"}, sources  # nginx's view of the client, not the header it sent

        # --- who holds the convergence lease, sampled throughout --------------------------------
        def watch_lease() -> None:
            while not watching.wait(0.5):
                rows = query(db, "SELECT holder FROM leases WHERE name = 'converge'")
                if rows and (not holders or holders[-1] != rows[0][0]):
                    holders.append(rows[0][0])

        threading.Thread(target=watch_lease, daemon=True).start()

        # --- the storm, and the kills in the middle of it ---------------------------------------
        wav = pcm_to_wav(beep_pcm(2.0, 440.0))
        kinds = ["hangup" if i % 10 == 3 else "withheld" if i % 10 == 7 else "report" for i in range(CALLS)]
        callers = [Caller(i, kind) for i, kind in enumerate(kinds)]
        threads = [threading.Thread(target=play, args=(sim, c, wav)) for c in callers]
        per_wave = CALLS // WAVES
        for wave in range(WAVES):
            for t in threads[wave * per_wave:(wave + 1) * per_wave]:
                t.start()
            time.sleep(2.0)
            if wave == 0:
                killed_at = query(db, "SELECT now()")[0][0]
                cluster.nodes["web-a"].kill()
                cluster.nodes["worker-a"].kill()
                cluster.nodes["engine-a"].kill()
        for t in threads:
            t.join()

        # --- settle: every report stored and paged ----------------------------------------------
        expected = [c for c in callers if c.classified or c.fallback]
        deadline = time.monotonic() + SETTLE_SECONDS
        while True:
            incident_of = dict(query(db, "SELECT sid, incident_id FROM calls"))
            lost = [c.sid for c in expected if not incident_of.get(c.sid)]
            unpaged = query(db, "SELECT id FROM incidents i WHERE NOT EXISTS (SELECT 1 FROM callout_incidents ci "
                                "WHERE ci.incident_id = i.id)")
            pending = query(db, "SELECT id FROM recordings WHERE status <> 'stored'")
            unrecorded = query(db, "SELECT id FROM incidents i WHERE NOT EXISTS (SELECT 1 FROM recordings r "
                                   "WHERE r.incident_id = i.id AND r.status = 'stored')")
            unaccepted = query(db, "SELECT id FROM incidents WHERE status <> 'accepted'")
            if not (lost or unpaged or pending or unrecorded or unaccepted) or time.monotonic() > deadline:
                break
            time.sleep(1.0)
        watching.set()
        assert not lost, f"{len(lost)} reports LOST: {lost}\n{cluster.logs()}"
        assert not unpaged, f"incidents never paged: {unpaged}\n{cluster.logs()}"
        assert not pending and not unrecorded, f"recordings not stored: {pending} {unrecorded}\n{cluster.logs()}"
        assert not unaccepted, f"every responder presses 1, yet not accepted: {unaccepted}\n{cluster.logs()}"

        # --- nothing doubled --------------------------------------------------------------------
        incidents = query(db, "SELECT id, call_sid FROM incidents")
        per_call = Counter(sid for _, sid in incidents)
        doubled = [sid for sid, n in per_call.items() if n > 1]
        sids = ", ".join(f"'{sid}'" for sid in doubled)
        assert not doubled, (  # which paths filed them, for the next reader
            query(db, f"SELECT id, call_sid, source, type_key, created_at FROM incidents WHERE call_sid IN ({sids})"),
            query(db, "SELECT incident_id, kind, actor, at, detail FROM audit_events WHERE incident_id IN "
                      f"(SELECT id FROM incidents WHERE call_sid IN ({sids})) ORDER BY id"), cluster.logs())
        accepts = query(db, "SELECT callout_id, count(*) FROM attempts WHERE outcome = 'accepted' GROUP BY callout_id")
        assert all(n == 1 for _, n in accepts), accepts
        accepted_audits = Counter(i for (i,) in query(db, "SELECT incident_id FROM audit_events "
                                                          "WHERE kind = 'callout.accepted'"))
        assert all(n == 1 for n in accepted_audits.values()), accepted_audits
        placed = Counter(parse_qs(urlparse(c.options.url or "").query).get("a", ["?"])[0]
                         for c in sim.call_objects() if c.direction == "outbound-api")
        assert placed and max(placed.values()) == 1, {a: n for a, n in placed.items() if n > 1}
        dialed = Counter(d for (d,) in query(db, "SELECT detail FROM audit_events WHERE kind = 'callout.dialed'")
                         for d in [d.get("call_sid")])
        assert max(dialed.values()) == 1
        attempts_with_call = query(db, "SELECT count(*) FROM attempts WHERE call_sid IS NOT NULL")[0][0]
        assert attempts_with_call == len(placed)
        files = list(cluster.recordings.rglob("*.wav"))
        assert len(files) == len(query(db, "SELECT id FROM recordings"))

        # Prometheus scrapes each web node itself (not through nginx, which spreads requests): the
        # surviving node observed each accept that came in through it, once; every accept after the
        # kill came through it.
        scraped = requests.get(f"http://127.0.0.1:{cluster.web_ports['web-b']}/metrics", timeout=10,
                               headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).text
        accept_count = next(float(line.split()[-1]) for line in scraped.splitlines()
                            if line.startswith("hotline_callout_accept_seconds_count"))
        accepted_after_kill = sum(1 for (at,) in query(db, "SELECT accepted_at FROM callouts") if at and at > killed_at)
        assert accepted_after_kill <= accept_count <= sum(n for _, n in accepts), (accept_count, accepted_after_kill)
        callouts = query(db, "SELECT state, count(*) FROM callouts GROUP BY state")
        took = query(db, "SELECT count(*) FROM audit_events WHERE kind = 'callout.accepted'")[0][0]
        print(f"\nmulti-node storm: {CALLS} calls through nginx to 2 web nodes, 2 worker nodes; web-a, worker-a "
              f"and engine-a killed after the first wave of {per_wave}")
        print(f"  calls: {sum(c.finished for c in callers)} finished their script, "
              f"{sum(c.classified for c in callers)} classified, {sum(c.fallback for c in callers)} sent to the "
              f"fallback, {kinds.count('hangup')} hung up before choosing")
        print(f"  incidents: {len(incidents)} for {len(expected)} reporting calls, lost {len(lost)}, "
              f"at most {max(per_call.values())} per call")
        print(f"  recordings: {len(files)} files in the shared directory, all stored")
        print(f"  callouts by state: {dict(callouts)}; accepts: {sum(n for _, n in accepts)} "
              f"covering {took} incidents (at most one per callout and per incident); web-b's /metrics counted "
              f"{accept_count:.0f} accepts, {accepted_after_kill} of them after the kill")
        print(f"  Calls.create: {sum(placed.values())} for {len(placed)} attempts (at most {max(placed.values())} "
              f"per attempt)")
        node_of = {str(n.proc.pid): n.name for n in cluster.nodes.values() if n.proc is not None}
        print(f"  convergence lease holders, in order: {[node_of.get(h.rsplit(':', 1)[1], h) for h in holders]}")
        access = (tmp_path / "nginx" / "access.log").read_text(errors="replace").splitlines()
        print(f"  nginx: {len(access)} requests, {sum(' 502 ' in line for line in access)} answered 502")
        assert holders and all(node_of.get(h.rsplit(":", 1)[1]) in ("engine-a", "engine-b") for h in holders)
        if len(holders) > 1:  # engine-a held it when it was killed: engine-b took over, after it
            assert [node_of[h.rsplit(":", 1)[1]] for h in holders] == ["engine-a", "engine-b"]
    finally:
        watching.set()
        cluster.stop()
        db.dispose()
