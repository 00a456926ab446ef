"""Paging after our own restart: callers who hang up while `run.py` is down (kill -9).

    python3 run.py bench restart [--calls 10] [--down 5]

`run.py` runs as a real subprocess; the sim runs here (real time) and outlives it, as Twilio
outlives our outage. Each caller chooses a type (the incident exists, its paging due at the report
grace), `run.py` is killed, the callers hang up (their status callbacks reach nobody), and
`run.py` is started again `--down` seconds later. Reports, per incident, the time from the
hang-up to its paging (its `callout_requested` line), against the baseline measured in the same
run: the time paging would have waited without the reconciliation, the report grace
(when `commands.report` made paging due, minus the hang-up). The ratio is the point; a caller never paged is FAILURE.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.storm import HOTLINE, Stack  # noqa: E402
from hotline.base.config import load_config  # noqa: E402
from hotline.paging.commands import GRACE_MARGIN  # noqa: E402
from sim import Sim  # noqa: E402
from sim.callstate import is_final  # noqa: E402

CONFIG = load_config(ROOT / "config.toml", env={})


def _epoch(value: object) -> float:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=moment.tzinfo or UTC).timestamp()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--calls", type=int, default=10, help="callers who hang up while run.py is down")
    ap.add_argument("--down", type=float, default=5.0, help="seconds between the kill and the restart")
    ap.add_argument("--settle", type=float, default=400, help="seconds to wait for every incident paged")
    args = ap.parse_args()
    sim = Sim(virtual_time=False, webhook_timeout=15.0)
    sim.start(host="127.0.0.1", port=0)
    with tempfile.TemporaryDirectory(prefix="bench-restart-") as folder:
        stack = Stack(Path(folder), sim, "")
        sim.add_number(HOTLINE, voice_url=f"{stack.url}/voice/incoming", status_callback=f"{stack.url}/voice/status")
        try:
            stack.wait_ready()
            calls = [sim.dial(f"+8869556{i:05d}", HOTLINE) for i in range(args.calls)]
            for i, c in enumerate(calls):
                c.expect_gather(timeout=60)
                c.press(str(1 + i % 7))  # a type each, round the menu: several callouts, not one storm
                c.expect_gather(timeout=60)
            time.sleep(2.0)  # the classification committed
            tree = psutil.Process(stack.proc.pid).children(recursive=True)
            stack.proc.kill()
            stack.proc.wait(10)
            psutil.wait_procs(tree, timeout=30)
            hung_up = {}
            for c in calls:
                c.hangup()
                hung_up[c.sid] = time.time()
            sim.wait_for(lambda: all(is_final(c.call.status) for c in calls) or None, 30, "every caller gone")
            time.sleep(args.down)
            stack.db.dispose()
            stack = Stack(Path(folder), sim, "")  # the same data dir: a restart
            stack.wait_ready()
            deadline = time.monotonic() + args.settle
            while True:
                rows = stack.query(
                    "SELECT c.sid, i.created_at, (SELECT min(a.at) FROM audit_events a WHERE a.incident_id = i.id "
                    "AND a.kind = 'callout_requested') FROM calls c JOIN incidents i ON i.id = c.incident_id")
                rows = [r for r in rows if r[0] in hung_up]
                if (len(rows) == len(calls) and all(r[2] for r in rows)) or time.monotonic() > deadline:
                    break
                time.sleep(1.0)
        finally:
            stack.stop()
            sim.stop()
    paged = [_epoch(r[2]) - hung_up[r[0]] for r in rows if r[2]]
    due_after = CONFIG.record_max_seconds + GRACE_MARGIN.total_seconds()  # commands.report's page_due_at
    grace = [_epoch(r[1]) + due_after - hung_up[r[0]] for r in rows]
    if len(paged) < len(calls):
        print(f"FAILURE: {len(calls) - len(paged)} of {len(calls)} incidents never paged")
        return 1
    p50, base = statistics.median(paged), statistics.median(grace) if grace else float("nan")
    print(f"hang-up while down -> paged after the restart: p50 {p50:.1f} s, max {max(paged):.1f} s "
          f"({len(paged)} incidents, restart after {args.down:.0f} s)")
    print(f"baseline, same run: the report grace each would have waited, p50 {base:.1f} s")
    print(f"ratio paged / grace: {p50 / base:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
