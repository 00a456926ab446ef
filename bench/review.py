"""Review benchmark: `python3 run.py bench review [--rows 10000] [--requests 20]`.

The post-incident review of one closed incident whose audit timeline has `--rows` rows (notes,
calls, crisis confirmations, checklist steps: the kinds its key times and people are read from),
rendered in-process through the Flask app, against the plain incident page of the same incident
in the same run with its whole timeline (`?timeline=all`, which draws every row). The incident
page as it opens (its newest `TIMELINE_LINES` lines) is reported against the same baseline. The
review condenses the timeline in one pass over a column query, so it should cost a fraction of the
whole timeline and stay under a second. Reports medians and p90 in milliseconds, and each ratio to
the whole timeline.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0]).resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)

from sqlalchemy import insert  # noqa: E402

from bench.console import client_for, summary, write_config  # noqa: E402
from hotline.base.models import AuditEvent, Incident, IncidentStatus, utcnow  # noqa: E402
from hotline.paging.models import Attempt, Callout, callout_incidents  # noqa: E402
from hotline.service.embedded_redis import start_embedded_redis  # noqa: E402
from tests.support.sandbox import Hotline  # noqa: E402

KINDS = (("note", "alice", {"note": "still on it"}), ("callout.dialed", "system", {"person": "chen"}),
         ("crisis.member_confirmed", "director", {"role": "management"}), ("crisis.step_done", "counsel", {}),
         ("callout.sms_sent", "system", {"to": "+886912000002"}))


def timed(client, url: str, n: int) -> tuple[list[float], list[float]]:  # type: ignore[no-untyped-def]
    """(wall ms, CPU ms) of each of `n` GETs after a warm one. The CPU time is this process's own
    work: on a shared machine the wall time also holds the time other processes had the cores."""
    client.get(url)
    wall, cpu = [], []
    for _ in range(n):
        w0, c0 = time.perf_counter(), time.process_time()
        r = client.get(url)
        wall.append((time.perf_counter() - w0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
        assert r.status_code == 200, (url, r.status_code)
    return wall, cpu


def seed(h: Hotline, rows: int) -> int:
    """One closed incident with `rows` timeline rows, written in bulk (the review only reads them)."""
    start = utcnow() - timedelta(days=1)
    with h.session() as s:
        incident = Incident(ref="BREVIEW", type_key="cyber_security", language="zh-TW", status=IncidentStatus.CLOSED,
                            created_at=start, accepted_at=start + timedelta(seconds=90), accepted_by="lin",
                            closed_at=start + timedelta(hours=5))
        s.add(incident)
        s.flush()
        callout = Callout(type_key="cyber_security", policy_key="default", created_at=start)
        s.add(callout)
        s.flush()
        s.execute(insert(callout_incidents), [{"callout_id": callout.id, "incident_id": incident.id, "active": False}])
        s.add_all(Attempt(callout_id=callout.id, person_key=key, person_name=key, phone=f"+88691200000{n}", round=1,
                          step=n, created_at=start + timedelta(seconds=5 + 30 * n),
                          ring_started_at=start + timedelta(seconds=6 + 30 * n),
                          outcome="accepted" if key == "lin" else "no_answer", call_sid=f"CAreview{n}")
                  for n, key in enumerate(("chen", "lin")))
        timeline = [{"incident_id": incident.id, "at": start + timedelta(seconds=90), "kind": "status_accepted",
                     "actor": "lin", "detail": {}},
                    {"incident_id": incident.id, "at": start + timedelta(seconds=120), "kind": "crisis.activated",
                     "actor": "lin", "detail": {"team": {"management": "director"}}}]
        for n in range(rows - 3):
            kind, actor, detail = KINDS[n % len(KINDS)]
            timeline.append({"incident_id": incident.id, "at": start + timedelta(seconds=130 + n), "kind": kind,
                             "actor": actor, "detail": detail})
        timeline.append({"incident_id": incident.id, "at": start + timedelta(hours=5), "kind": "status_closed",
                         "actor": "alice", "detail": {}})
        s.execute(insert(AuditEvent), timeline)
        return incident.id


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        redis = start_embedded_redis(tmp / "redis", persist=False)
        h = Hotline(tmp, redis.url, "sqlite", config_path=write_config(tmp))
        try:
            t0 = time.perf_counter()
            incident_id = seed(h, args.rows)
            print(f"seeded one incident with {args.rows} timeline rows in {time.perf_counter() - t0:.1f} s")
            client = client_for(h)
            token = client.get(f"/console/incidents/{incident_id}").get_data(as_text=True)
            csrf = token.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
            started = client.post(f"/console/incidents/{incident_id}/review", data={"csrf_token": csrf})
            review_url = started.headers["Location"]
            incident_page = timed(client, f"/console/incidents/{incident_id}?timeline=all", args.requests)
            newest = timed(client, f"/console/incidents/{incident_id}", args.requests)
            review = timed(client, review_url, args.requests)
            printable = timed(client, review_url + "/print", args.requests)
        finally:
            h.close()
            redis.stop()
    base, base_cpu = statistics.median(incident_page[0]), statistics.median(incident_page[1])
    for name, (wall, cpu) in (("whole timeline", incident_page), ("incident page", newest), ("review", review),
                              ("review printable", printable)):
        ratio, cpu_ratio = statistics.median(wall) / base, statistics.median(cpu) / base_cpu
        print(f"{name:17s} wall {summary(wall)}  CPU median {statistics.median(cpu):7.1f} ms  "
              f"ratio to the whole timeline {ratio:5.2f} (CPU {cpu_ratio:5.2f})")
    wall, cpu = review
    print(f"review of an incident with {args.rows} timeline rows: median {statistics.median(wall):.1f} ms wall, "
          f"{statistics.median(cpu):.1f} ms CPU ({'under' if statistics.median(cpu) < 1000 else 'OVER'} 1 s), "
          f"{statistics.median(cpu) / base_cpu:.2f} of the incident page with its whole timeline "
          f"({base_cpu:.1f} ms CPU)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
