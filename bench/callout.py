"""Callout latency benchmark: `python3 run.py bench callout [--incidents 200]`.

Over N incidents, through the real app (HTTP server), Redis, RQ workers and the sim:
- first dial: recording-complete webhook arrives -> the sim receives the first Calls.create;
- next dial: a no-answer status callback arrives -> the sim receives the next Calls.create.
Both are measured twice, with a plain forking `rq worker` and with `hotline.service.workers.CalloutWorker`
(runs callout jobs in-process), and set against a baseline from the same run: a bare RQ job
round-trip (enqueue -> the job starts) on each kind of worker, one beside each incident after a
warm-up (so the worker's start-up is not in it). Timestamps come from one clock
(`time.time`, shared by the processes of this machine); p50/p99 and ratios are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0]).resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)  # else this file, bench/callout.py, would shadow the callout package

import requests  # noqa: E402
from flask import request  # noqa: E402
from rq.job import Job  # noqa: E402

from hotline.base import jobs  # noqa: E402
from hotline.base.lifecycle import Actor, Channel  # noqa: E402
from hotline.paging import commands, incidents  # noqa: E402
from hotline.paging.callout.store import callout_for_incident  # noqa: E402
from hotline.service.embedded_redis import start_embedded_redis  # noqa: E402
from sim.signing import signature  # noqa: E402
from tests.support.sandbox import Hotline  # noqa: E402

RING = 20
ONCALL = f"""
[oncall]
rounds = 1
repeat_minutes = 5
storm_window_minutes = 0
default_ring_timeout = {RING}
fallback = []

[policies.default]
steps = [ {{ person = "chen" }}, {{ person = "lin" }} ]
"""
CHEN, LIN = "+886912000001", "+886912000002"


def write_config(folder: Path) -> Path:
    base = (ROOT / "config.toml").read_text(encoding="utf-8").split("# --- On-call", 1)[0]
    base = base.replace('flows_dir = "ivr_flows"', f'flows_dir = "{ROOT / "ivr_flows"}"')
    path = folder / "config.toml"
    path.write_text(base + ONCALL, encoding="utf-8")
    return path


class Stamps:
    """Arrival times of webhooks at the app and of Calls.create at the sim, keyed by what they concern."""

    def __init__(self, h: Hotline) -> None:
        self.lock = threading.Condition()
        self.recording: dict[int, float] = {}
        self.no_answer: dict[int, float] = {}  # attempt id -> arrival
        self.creates: list[tuple[float, str]] = []
        original = h.sim.create_outbound_call

        def create(to: str, from_: str, options: Any) -> Any:
            arrived = time.time()
            created = original(to, from_, options)  # the call exists (and rings) before we report it
            with self.lock:
                self.creates.append((arrived, to))
                self.lock.notify_all()
            return created

        h.sim.create_outbound_call = create

        @h.app.before_request
        def stamp() -> None:
            now = time.time()
            if request.path == "/voice/recording-status":
                self.recording[int(request.args["i"])] = now
            elif request.path == "/voice/callout/status" and request.form.get("CallStatus") == "no-answer":
                self.no_answer[int(request.args["a"])] = now

    def wait_create(self, to: str, after: float, timeout: float = 20.0) -> float:
        end = time.monotonic() + timeout
        with self.lock:
            while True:
                hit = next((t for t, number in self.creates if number == to and t >= after), None)
                if hit is not None:
                    return hit
                left = end - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no Calls.create to {to}")
                self.lock.wait(left)


def post_signed(h: Hotline, path: str, form: dict[str, str]) -> None:
    url = h.public_url + path
    r = requests.post(url, data=form, headers={"X-Twilio-Signature": signature(h.sim.auth_token, url, form)},
                      timeout=10)
    r.raise_for_status()


def one_incident(h: Hotline, stamps: Stamps, n: int) -> tuple[float, float]:
    sid = f"CAbench{n:026d}"
    with h.session() as s:
        incidents.register_call(s, sid, "+886912345678", h.config.numbers[0])
        incident_id = commands.report(s, call_sid=sid, type_key="other", lang="zh-TW", caller="+886912345678",
                                      actor=Actor("+886912345678", Channel.CALLER), record_max_seconds=180
                                      ).incident_ids[0]
    post_signed(h, f"/voice/recording-status?i={incident_id}",
                {"CallSid": sid, "RecordingStatus": "completed", "RecordingSid": f"RE{n:032d}",
                 "RecordingUrl": f"{h.sim.api_base_url}/nothing", "RecordingDuration": "3"})
    first = stamps.wait_create(CHEN, stamps.recording[incident_id]) - stamps.recording[incident_id]
    h.sim.settle()
    h.sim.advance(RING + 1)  # chen does not answer
    attempt_id = h.wait_for(lambda: _first_attempt(h, incident_id), what="the no-answer callback")
    arrived = stamps.no_answer[attempt_id]
    nxt = stamps.wait_create(LIN, arrived) - arrived
    jobs.run(commands.stop_paging, incident_id, Actor("bench", Channel.CLI), "bench")
    h.sim.settle()
    return first, nxt


def _first_attempt(h: Hotline, incident_id: int) -> int | None:
    from hotline.paging.models import Attempt

    with h.session() as s:
        callout = callout_for_incident(s, incident_id)
        if callout is None:
            return None
        first = s.query(Attempt).filter_by(callout_id=callout.id, person_key="chen").first()
        return first.id if first is not None and first.outcome == "no_answer" else None


def job_round_trips(h: Hotline, queue: str, n: int) -> list[float]:
    """Bare RQ hop: enqueue `time.time` and read back when the worker ran it."""
    q = h.runtime.queue(queue)
    out = []
    for _ in range(n):
        t0 = time.time()
        job = q.enqueue("time.time", result_ttl=60)
        while job.get_status(refresh=True) != "finished":
            time.sleep(0.002)
        out.append(float(Job.fetch(job.id, connection=q.connection).return_value()) - t0)
    return out


def start_worker(h: Hotline, in_process: bool, log: Path) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-m", "rq.cli", "worker", "--url", h.env["REDIS_URL"], "--with-scheduler"]
    if in_process:
        argv += ["--worker-class", "hotline.service.workers.CalloutWorker"]
    env = {**os.environ, **h.env, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([*argv, "callout"], env=env, cwd=ROOT, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                            start_new_session=True)
    h.workers.append(proc)
    time.sleep(1.5)  # let it register and (CalloutWorker) reconcile before timing starts
    return proc


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def summary(values: list[float]) -> dict[str, float]:
    return {"p50_ms": round(pct(values, 50) * 1000, 1), "p99_ms": round(pct(values, 99) * 1000, 1),
            "mean_ms": round(statistics.fmean(values) * 1000, 1)}


KINDS = {"fork_per_job": False, "callout_worker": True}


def run(n: int, kinds: list[str]) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="bench-callout-"))
    redis = start_embedded_redis(tmp / "redis", persist=False)
    h = Hotline(tmp, redis.url, "sqlite", config_path=write_config(tmp))
    import logging

    logging.getLogger("hotline.audit").setLevel(logging.WARNING)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    stamps = Stamps(h)
    results: dict[str, Any] = {"incidents": n}
    try:
        for label in kinds:
            in_process = KINDS[label]
            proc = start_worker(h, in_process, tmp / f"worker-{len(h.workers)}.log")
            job_round_trips(h, "callout", 10)  # warm-up: the worker's start-up pass is over before timing
            baseline: list[float] = []
            firsts, nexts = [], []
            for i in range(n):  # a bare round trip beside each incident: the baseline sees the same load
                baseline.extend(job_round_trips(h, "callout", 1))
                first, nxt = one_incident(h, stamps, i + (0 if not in_process else n))
                firsts.append(first)
                nexts.append(nxt)
            results[label] = {"baseline_rq_round_trip": summary(baseline), "first_dial": summary(firsts),
                              "next_dial": summary(nexts),
                              "ratio_p50_first_dial_to_baseline": round(pct(firsts, 50) / pct(baseline, 50), 1),
                              "ratio_p50_next_dial_to_baseline": round(pct(nexts, 50) / pct(baseline, 50), 1),
                              "ratio_p99_first_dial_to_baseline": round(pct(firsts, 99) / pct(baseline, 99), 1),
                              "ratio_p99_next_dial_to_baseline": round(pct(nexts, 99) / pct(baseline, 99), 1)}
            proc.terminate()
            proc.wait(10)
            h.workers.remove(proc)
    finally:
        h.close()
        redis.stop()
    goal = results.get("callout_worker")
    if goal is not None:  # issue #29 target 3b: each dial's p99 within 4x a bare RQ round trip's
        results["goal_met"] = {"first_dial_p99<=4x_rq_round_trip_p99": goal["ratio_p99_first_dial_to_baseline"] <= 4,
                               "next_dial_p99<=4x_rq_round_trip_p99": goal["ratio_p99_next_dial_to_baseline"] <= 4}
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=200)
    parser.add_argument("--workers", nargs="+", choices=list(KINDS), default=list(KINDS),
                        help="which kinds of worker to measure (the forking one is slow to start on a loaded machine)")
    args = parser.parse_args()
    print(json.dumps(run(args.incidents, args.workers), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
