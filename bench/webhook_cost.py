"""What one caller's webhooks cost the server, measured deterministically in-process: SQL
statements, database sessions (connections checked out), commits and Python function calls per
request (the calls stand in for CPU: repeatable whatever else the machine runs), plus CPU time per
request (noisy on a shared machine; the counts are not).

One "call" is what a reporting caller makes Twilio send: /voice/incoming, a type key, a severity
key, the <Record> action, the recording status callback and the final call status callback,
each signed as Twilio signs it and following the action URLs the TwiML returned. Beside them, the
same app's two floors (bench/bare_app.py): the durable floor (signature checked, one row
committed: issue 29's baseline) and the bare fixed-TwiML endpoint.

    python3 run.py bench webhook_cost [--calls 200] [--profile out.prof]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import event

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bare_twiml import add_bare_route  # noqa: E402
from bench.durable_floor import PATH as DURABLE_PATH  # noqa: E402
from bench.durable_floor import add_durable_route  # noqa: E402
from hotline.base.config import ROOT as CONFIG_ROOT  # noqa: E402
from hotline.base.config import load_config  # noqa: E402
from hotline.base.runtime import get_runtime, set_runtime  # noqa: E402
from hotline.service.app import create_app  # noqa: E402
from sim.signing import signature  # noqa: E402

TOKEN = "bench-token"
PUBLIC = "http://127.0.0.1:8999"
HOTLINE = "+886277001234"
SIM_URL = "http://127.0.0.1:8998"


@dataclass
class Counts:
    statements: int = 0
    sessions: int = 0
    commits: int = 0
    per_path: dict[str, list[tuple[int, int, int, float, int]]] = field(default_factory=lambda: defaultdict(list))
    count_calls: bool = False


@contextmanager
def counting(engine: Any, counts: Counts) -> Iterator[None]:
    """SQL statements (cursor executes), connections checked out of the pool, and COMMITs."""
    def on_execute(*_: Any) -> None:
        counts.statements += 1

    def on_checkout(*_: Any) -> None:
        counts.sessions += 1

    def on_commit(*_: Any) -> None:
        counts.commits += 1

    hooks = [(engine, "before_cursor_execute", on_execute), (engine.pool, "checkout", on_checkout),
             (engine, "commit", on_commit)]
    for target, name, fn in hooks:
        event.listen(target, name, fn)
    try:
        yield
    finally:
        for target, name, fn in hooks:
            event.remove(target, name, fn)


def make_app(tmp: Path, redis_url: str) -> Any:
    env = {"HOTLINE_DATA_DIR": str(tmp / "data"), "HOTLINE_RECORDINGS_DIR": str(tmp / "rec"),
           "HOTLINE_PUBLIC_URL": PUBLIC, "REDIS_URL": redis_url, "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
           "TWILIO_AUTH_TOKEN": TOKEN, "HOTLINE_SIM_URL": SIM_URL, "DATABASE_URL": ""}
    app = create_app(load_config(CONFIG_ROOT / "config.toml", env=env))
    return add_durable_route(add_bare_route(app))


class Caller:
    """Posts what Twilio would post for one reporting call, signed, following the TwiML."""

    def __init__(self, client: Any, counts: Counts, i: int):
        self.client, self.counts = client, counts
        self.sid = f"CA{i:032d}"
        self.base = {"AccountSid": "AC" + "0" * 32, "ApiVersion": "2010-04-01", "CallSid": self.sid,
                     "CallStatus": "in-progress", "Called": HOTLINE, "Caller": f"+8869551{i:05d}",
                     "Direction": "inbound", "From": f"+8869551{i:05d}", "To": HOTLINE}

    def post(self, url: str, extra: dict[str, str] | None = None) -> ET.Element:
        params = {**self.base, **(extra or {})}
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = {"X-Twilio-Signature": signature(TOKEN, url, params)}
        before = (self.counts.statements, self.counts.sessions, self.counts.commits)
        resp, cpu, calls = timed(self.counts, lambda: self.client.post(path, data=params, headers=headers))
        label = parts.path + (f" {extra['Digits']}" if parts.path == "/voice/step" and extra else "")
        assert resp.status_code == 200, (url, resp.status_code, resp.data[:300])
        self.counts.per_path[label].append((self.counts.statements - before[0],
                                                 self.counts.sessions - before[1],
                                                 self.counts.commits - before[2], cpu, calls))
        root = ET.fromstring(resp.data)
        assert root.find("Say") is None or "sorry" not in (root.findtext("Say") or "").lower(), resp.data
        return root

    def report(self) -> None:
        twiml = self.post(f"{PUBLIC}/voice/incoming")
        for key in "12":
            action = twiml.find("Gather").get("action")  # type: ignore[union-attr]
            twiml = self.post(action, {"Digits": key})  # type: ignore[arg-type]
        record = twiml.find("Record")
        assert record is not None, ET.tostring(twiml)
        rec = {"RecordingSid": f"RE{self.sid[2:]}", "RecordingUrl": f"{SIM_URL}/Recordings/RE{self.sid[2:]}",
               "RecordingDuration": "2"}
        closing = self.post(record.get("action"), {**rec, "Digits": "#"})  # type: ignore[arg-type]
        assert closing.find("Hangup") is not None, ET.tostring(closing)
        self.post(record.get("recordingStatusCallback"), {**rec, "RecordingStatus": "completed"})  # type: ignore[arg-type]
        self.post(f"{PUBLIC}/voice/status", {"CallStatus": "completed", "CallDuration": "30"})


def run(calls: int, redis_url: str, profile: str | None = None, bare_requests: int | None = None,
        count_calls: bool = False) -> Counts:
    tmp = Path(tempfile.mkdtemp(prefix="bench-webhook-cost-"))
    app = make_app(tmp, redis_url)
    client = app.test_client()
    counts = Counts(count_calls=count_calls)
    engine = get_runtime().db.engine
    Caller(client, Counts(), 99999).report()  # warm-up: imports, first connection, statement caches
    durable(client, Counts())
    profiler = cProfile.Profile() if profile else None
    with counting(engine, counts):
        if profiler is not None:
            profiler.enable()
        for i in range(calls):
            Caller(client, counts, i).report()
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(profile)
        for _ in range(calls if bare_requests is None else bare_requests):
            bare(client, counts)
            durable(client, counts)
    set_runtime(None)
    return counts


def bare(client: Any, counts: Counts) -> None:
    """The baseline: the same app's fixed-TwiML endpoint (bench/bare_app.py), posted what Twilio
    posts for a key press (unsigned: the bare endpoint checks nothing)."""
    form = {**Caller(client, counts, 0).base, "Digits": "1"}
    resp, cpu, calls = timed(counts, lambda: client.post("/bench/bare", data=form))
    assert resp.status_code == 200
    counts.per_path["(bare TwiML)"].append((0, 0, 0, cpu, calls))


def durable(client: Any, counts: Counts) -> None:
    """The durable floor (bench/durable_floor.py), the baseline of issue 29's targets: the same key
    press, signed as Twilio signs it; the signature checked, one row committed, fixed TwiML."""
    form = {**Caller(client, counts, 0).base, "Digits": "1"}
    headers = {"X-Twilio-Signature": signature(TOKEN, PUBLIC + DURABLE_PATH, form)}
    before = (counts.statements, counts.sessions, counts.commits)
    resp, cpu, calls = timed(counts, lambda: client.post(DURABLE_PATH, data=form, headers=headers))
    assert resp.status_code == 200, resp.data
    counts.per_path["(durable floor)"].append((counts.statements - before[0], counts.sessions - before[1],
                                               counts.commits - before[2], cpu, calls))


def timed(counts: Counts, request: Any) -> tuple[Any, float, int]:
    """(response, CPU seconds, Python function calls: 0 unless counted). The response is closed,
    as a WSGI server closes it, so what runs on its close (queued follow-ups) is counted too."""
    def whole() -> Any:
        resp = request()
        resp.close()
        return resp

    if not counts.count_calls:
        started = time.thread_time()
        resp = whole()
        return resp, time.thread_time() - started, 0
    profiler = cProfile.Profile()
    started = time.thread_time()
    profiler.enable()
    resp = whole()
    profiler.disable()
    cpu = time.thread_time() - started
    return resp, cpu, pstats.Stats(profiler).total_calls  # type: ignore[attr-defined]


def summary(counts: Counts) -> str:
    lines = [f"{'path':26} {'SQL/req':>8} {'conns/req':>9} {'commits':>8} {'py calls':>9} {'CPU ms p50':>10}"]
    total = [0.0] * 5
    for path, rows in sorted(counts.per_path.items()):
        means = [sum(r[k] for r in rows) / len(rows) for k in (0, 1, 2, 4)]
        cpu = statistics.median(r[3] for r in rows) * 1000
        if not path.startswith("("):
            total = [t + v for t, v in zip(total, [*means, cpu], strict=True)]
        lines.append(f"{path:26} {means[0]:8.2f} {means[1]:9.2f} {means[2]:8.2f} {means[3]:9.0f} {cpu:10.2f}")
    sql, conns, commits, calls, cpu_sum = total
    lines.append(f"{'one call (sum)':26} {sql:8.2f} {conns:9.2f} {commits:8.2f} {calls:9.0f} {cpu_sum:10.2f}")
    ivr = [r for path, rows in counts.per_path.items() if not path.startswith("(") for r in rows]
    for floor in ("durable floor", "bare TwiML"):
        rows = counts.per_path.get(f"({floor})")
        if ivr and rows:
            cpu_ratio = statistics.median(r[3] for r in ivr) / statistics.median(r[3] for r in rows)
            line = f"per IVR webhook / per {floor} request: CPU (p50) {cpu_ratio:.1f}x"
            if counts.count_calls:
                calls = statistics.mean(r[4] for r in ivr) / statistics.mean(r[4] for r in rows)
                line += f", Python calls {calls:.1f}x"
            lines.append(line)
    floors = [counts.per_path.get(f"({floor})") for floor in ("durable floor", "bare TwiML")]
    if ivr and floors[0] and floors[1] and counts.count_calls:
        # the bare endpoint's calls are what every request costs around its view (the test client,
        # Flask's dispatch): beyond them, each view's own work
        bare_calls = statistics.mean(r[4] for r in floors[1])
        own = [statistics.mean(r[4] for r in rows) - bare_calls for rows in (ivr, floors[0])]
        lines.append(f"Python calls beyond the bare endpoint's (each view's own work): IVR {own[0]:.0f}, "
                     f"durable floor {own[1]:.0f}, {own[0] / own[1]:.1f}x")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=200)
    ap.add_argument("--bare", type=int, default=None,
                    help="requests to each floor, bare and durable (default: --calls)")
    ap.add_argument("--count-calls", action="store_true",
                    help="count Python function calls per request (cProfile; slower, deterministic)")
    ap.add_argument("--profile", default="", help="write a cProfile of the measured calls here (read it with pstats)")
    args = ap.parse_args()
    from hotline.service.embedded_redis import start_embedded_redis

    tmp = Path(tempfile.mkdtemp(prefix="bench-webhook-cost-redis-"))
    redis = start_embedded_redis(tmp, persist=False)
    try:
        counts = run(args.calls, redis.url, args.profile or None, args.bare, args.count_calls)
    finally:
        redis.stop()
    print(f"{args.calls} reporting calls, in-process (Flask test client), SQLite")
    print(summary(counts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
