"""The storm on several nodes: callers spread over a window against two web nodes behind nginx and
two worker nodes, with one web node and one worker node killed in the middle.

    python3 run.py bench storm --cluster [--calls 2000] [--seconds 120] [--kill-web-at 0.4] [--kill-worker-at 0.6]
    python3 run.py bench storm_cluster ...      (the same)

The layout is tests/support/cluster.py's, the one tests/multinode/ kills nodes in: two
`run.py web` nodes behind a real nginx with the deployed proxy settings, two worker nodes
(`run.py worker` + `run.py engine`, one convergence lease between them), one PostgreSQL schema
(127.0.0.1:5432, db `test`) and one Redis, every node a separate process on this machine. The
callers are bench/storm.py's (its `Caller` and `play`: most report, about one in ten withholds
its caller ID, about one in ten hangs up before choosing), arriving evenly over `--seconds`, and
its accounting (`outcome`). At `--kill-web-at` of the window web-a is SIGKILLed (its process
group: gunicorn and its workers), at `--kill-worker-at` worker-a and engine-a.

Reports webhooks answered, errors and callers sent to the fallback; incidents against classified
calls; duplicates (a call with two incidents, an attempt dialled twice); every incident paged (a
callout of its own or joined to a storm's); the time from each caller's hang-up to its incident
being paged (its callout opened or joined), as a distribution; webhook p50/p99 before and after
the first kill; the load average. A lost report, a duplicate, an unpaged incident or a recording
not stored is printed as FAILURE and the exit code is 1.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import psutil
from sqlalchemy import Engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.stats import percentile  # noqa: E402
from bench.storm import Caller, outcome, play  # noqa: E402
from sim import Sim  # noqa: E402
from sim.audio import beep_pcm, pcm_to_wav  # noqa: E402
from tests.support.cluster import NGINX, Cluster, cluster_for, schema_engine, shared_services  # noqa: E402
from tests.support.postgres import POSTGRES_URL, unavailable_reason  # noqa: E402


class Db:
    """The cluster's schema, with the `query` that bench.storm's `outcome` reads through."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def query(self, sql: str) -> list[Any]:
        with self.engine.connect() as c:
            return list(c.execute(text(sql)))


@dataclass
class Storm:
    """What happened: the callers, when things happened (wall clock, s), what the database says."""

    calls: int
    seconds: float
    callers: list[Caller]
    started: float = 0.0
    hung_up: dict[str, float] = field(default_factory=dict)  # call sid -> when its script ended
    kills: dict[str, float] = field(default_factory=dict)  # "web-a", "worker-a" -> when killed
    after_kills: int = 0  # callers who dialled after both kills
    calls_done: float = 0.0  # seconds from the first call to the last caller's end
    settled: float = 0.0  # seconds from the first call to nothing pending (or the settle deadline)
    loads: list[tuple[float, float]] = field(default_factory=list)  # (seconds in, 1-min load average)
    db: dict[str, Any] = field(default_factory=dict)  # bench.storm.outcome at the end
    incidents_per_call: Counter[str] = field(default_factory=Counter)
    incident_calls: dict[int, str] = field(default_factory=dict)  # incident id -> its call sid
    paged_at: dict[int, float] = field(default_factory=dict)  # incident id -> its callout opened/joined
    dials_per_attempt: Counter[str] = field(default_factory=Counter)  # Calls.create per attempt id
    cpu: dict[int, tuple[str, float]] = field(default_factory=dict)  # pid -> (node, CPU s), the last seen
    nginx_requests: int = 0
    nginx_502: int = 0
    lease_holder: str = ""
    tmp: Path = Path()

    @property
    def expected(self) -> list[Caller]:
        """The callers who left a report: they classified, or were sent to the fallback."""
        return [c for c in self.callers if c.classified or c.fallback]


def wall(at: datetime | str) -> float:
    at = at if isinstance(at, datetime) else datetime.fromisoformat(str(at))
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()


def read_database(db: Db, storm: Storm, sim: Sim) -> None:
    """The end state: bench.storm's outcome, incidents per call, when each incident was paged,
    Calls.create per attempt (from the sim, which saw every one)."""
    storm.db = outcome(db, storm.callers)  # type: ignore[arg-type]  # it reads through .query only
    rows = db.query("SELECT id, call_sid FROM incidents")
    storm.incident_calls = {i: sid for i, sid in rows}
    storm.incidents_per_call = Counter(sid for _, sid in rows if sid)
    storm.paged_at = {}
    for incident, at in db.query("SELECT incident_id, min(at) FROM audit_events WHERE kind IN "
                                 "('callout.opened', 'callout.joined') GROUP BY incident_id"):
        storm.paged_at[incident] = wall(at)
    storm.dials_per_attempt = Counter(parse_qs(urlparse(c.options.url or "").query).get("a", ["?"])[0]
                                      for c in sim.call_objects() if c.direction == "outbound-api")
    holder = db.query("SELECT holder FROM leases WHERE name = 'converge'")
    storm.lease_holder = holder[0][0] if holder else ""


def sample_cpu(cluster: Cluster, storm: Storm) -> None:
    """Each node's CPU seconds so far, per process of its tree: its own time and its reaped
    children's (an RQ worker's job horses). The last sample of a killed node is what it used."""
    for node in cluster.nodes.values():
        if node.proc is None or node.killed:
            continue
        try:
            root = psutil.Process(node.proc.pid)
            for proc in [root, *root.children(recursive=True)]:
                t = proc.cpu_times()
                storm.cpu[proc.pid] = (node.name, t.user + t.system + t.children_user + t.children_system)
        except psutil.Error:
            continue


def cpu_by_role(storm: Storm) -> dict[str, float]:
    roles = {"web": 0.0, "worker": 0.0, "engine": 0.0}
    for name, seconds in storm.cpu.values():
        roles[name.split("-")[0]] += seconds
    return roles


def settled(storm: Storm) -> bool:
    now = storm.db
    return (all(now["calls"].get(c.sid) for c in storm.expected) and not now["incidents"] - set(now["paged"])
            and not now["recordings"].get("pending", 0))


def run_storm(cluster: Cluster, sim: Sim, db: Db, calls: int, seconds: float, kill_web_at: float = 0.4,
              kill_worker_at: float = 0.6, settle: float = 300, seed: int = 12) -> Storm:
    """Callers arrive evenly over `seconds`; web-a dies at `kill_web_at` of the window, worker-a and
    engine-a at `kill_worker_at`; then wait up to `settle` s for every report to be stored and paged."""
    random.seed(seed)
    kinds = ["hangup" if i % 10 == 3 else "withheld" if i % 10 == 7 else "report" for i in range(calls)]
    storm = Storm(calls, seconds, [Caller(i, kind) for i, kind in enumerate(kinds)], tmp=cluster.tmp)
    wav = pcm_to_wav(beep_pcm(2.0, 440.0))

    def one(caller: Caller) -> None:
        play(sim, caller, wav)
        storm.hung_up[caller.sid] = time.time()

    def kill_web() -> None:
        sample_cpu(cluster, storm)
        cluster.nodes["web-a"].kill()
        storm.kills["web-a"] = time.time()

    def kill_worker() -> None:
        sample_cpu(cluster, storm)
        cluster.nodes["worker-a"].kill()
        cluster.nodes["engine-a"].kill()
        storm.kills["worker-a"] = time.time()

    plan: list[tuple[float, int, Any]] = [(seconds * i / calls, 1, storm.callers[i]) for i in range(calls)]
    plan += [(seconds * kill_web_at, 0, kill_web), (seconds * kill_worker_at, 0, kill_worker)]
    plan.sort(key=lambda step: (step[0], step[1]))
    over = threading.Event()

    def sample_load() -> None:
        while True:
            storm.loads.append((time.time() - storm.started, os.getloadavg()[0]))
            sample_cpu(cluster, storm)
            if over.wait(2.0):
                return

    sample_cpu(cluster, storm)
    before = dict(storm.cpu)  # what starting cost, taken off below
    storm.started = time.time()
    threading.Thread(target=sample_load, daemon=True).start()
    threads = []
    for due, _, step in plan:
        time.sleep(max(0.0, storm.started + due - time.time()))
        if isinstance(step, Caller):
            storm.after_kills += len(storm.kills) == 2
            threads.append(threading.Thread(target=one, args=(step,), daemon=True))
            threads[-1].start()
        else:
            step()
    for t in threads:
        t.join()
    storm.calls_done = time.time() - storm.started
    deadline = time.monotonic() + settle
    while True:
        read_database(db, storm, sim)
        if settled(storm) or time.monotonic() > deadline:
            break
        time.sleep(1.0)
    storm.settled = time.time() - storm.started
    over.set()
    sample_cpu(cluster, storm)
    storm.cpu = {pid: (name, seconds - before.get(pid, (name, 0.0))[1]) for pid, (name, seconds) in storm.cpu.items()}
    access = cluster.tmp / "nginx" / "access.log"
    lines = access.read_text(errors="replace").splitlines() if access.exists() else []
    storm.nginx_requests, storm.nginx_502 = len(lines), sum(" 502 " in line for line in lines)
    return storm


def failures(storm: Storm) -> list[str]:
    """What breaks the first law or doubles something: each a line after FAILURE."""
    now, found = storm.db, []
    lost = [c.sid for c in storm.expected if not now["calls"].get(c.sid)]
    if lost:
        found.append(f"{len(lost)} reports LOST: calls that reported without an incident: {', '.join(lost[:10])}")
    doubled = [sid for sid, n in storm.incidents_per_call.items() if n > 1]
    if doubled:
        found.append(f"{len(doubled)} calls with more than one incident (DUPLICATES): {doubled[:10]}")
    redialled = [a for a, n in storm.dials_per_attempt.items() if n > 1]
    if redialled:
        found.append(f"{len(redialled)} attempts dialled more than once (DUPLICATE calls): {redialled[:10]}")
    unpaged = now["incidents"] - set(now["paged"])
    if unpaged:
        found.append(f"{len(unpaged)} incidents NEVER PAGED: {sorted(unpaged)[:20]}")
    if now["recordings"].get("pending") or now["recordings"].get("failed"):
        found.append(f"recordings not stored: {now['recordings']}")
    return found


def ms(values: list[float], p: float) -> str:
    return f"{1000 * percentile(values, p):8.0f}" if values else f"{'-':>8}"


def report(storm: Storm) -> list[str]:
    """The printed summary, one figure a line."""
    now, callers = storm.db, storm.callers
    kill_web = storm.kills.get("web-a", float("inf"))
    webhooks = [e for c in callers for e in c.events if e["kind"] == "webhook"]
    answered = [e for e in webhooks if e["error_code"] is None]
    errors = [e for e in webhooks if e["error_code"] is not None]
    timed = [(e["t"] - e["latency_ms"] / 1000, e["latency_ms"] / 1000) for e in answered
             if e.get("purpose") != "fallback"]
    phases = {"before the kills": [v for at, v in timed if at < kill_web],
              "after web-a died": [v for at, v in timed if at >= kill_web], "whole storm": [v for _, v in timed]}
    kinds = Counter(c.kind for c in callers)
    fallback = sum(c.fallback for c in callers)
    storm_joined = sum(1 for joined in now["paged"].values() if joined)
    delays = sorted(storm.paged_at[i] - storm.hung_up[sid] for i, sid in storm.incident_calls.items()
                    if i in storm.paged_at and sid in storm.hung_up)
    loads = [load for _, load in storm.loads]
    at = {name: when - storm.started for name, when in storm.kills.items()}
    lines = [
        f"cluster storm: {storm.calls} callers over {storm.seconds:.0f} s ({kinds['report']} reports, "
        f"{kinds['withheld']} withheld caller ID, {kinds['hangup']} hang up before choosing) through nginx to "
        f"2 web nodes, 2 worker nodes + engines, PostgreSQL, Redis; {os.cpu_count()} cores",
        "  killed (SIGKILL, whole process group): " + ", ".join(
            f"{name}{' + engine-a' if name == 'worker-a' else ''} at {s:.1f} s" for name, s in at.items())
        + f"; {storm.after_kills} callers dialled after both",
        f"  calls finished their script: {sum(c.finished for c in callers)}/{storm.calls}; last caller done at "
        f"{storm.calls_done:.1f} s; settled at {storm.settled:.1f} s",
        f"  webhooks: {len(answered)} answered, {len(errors)} errors; callers sent to the fallback: {fallback}; "
        f"nginx: {storm.nginx_requests} requests, {storm.nginx_502} answered 502",
        f"  incidents: {len(now['incidents'])} for {sum(c.classified for c in callers)} classified calls "
        f"(+{sum(c.fallback and not c.classified for c in callers)} via fallback); lost "
        f"{sum(1 for c in storm.expected if not now['calls'].get(c.sid))}; at most "
        f"{max(storm.incidents_per_call.values(), default=0)} per call",
        f"  Calls.create: {sum(storm.dials_per_attempt.values())} for {len(storm.dials_per_attempt)} attempts "
        f"(at most {max(storm.dials_per_attempt.values(), default=0)} per attempt)",
        f"  recordings: {now['recordings'].get('stored', 0)} stored, {now['recordings'].get('pending', 0)} "
        f"pending, {now['recordings'].get('failed', 0)} failed",
        f"  paged: {len(now['paged'])}/{len(now['incidents'])} incidents ({storm_joined} joined to a storm "
        f"callout, {len(now['paged']) - storm_joined} with their own); convergence lease with {storm.lease_holder}",
    ]
    if delays:
        lines.append(f"  caller hung up -> incident paged (s): n {len(delays)}, min {delays[0]:.1f}, p50 "
                     f"{statistics.median(delays):.1f}, p90 {percentile(delays, 90):.1f}, p99 "
                     f"{percentile(delays, 99):.1f}, max {delays[-1]:.1f} ({sum(d <= 0 for d in delays)} paged "
                     f"before their caller hung up, {sum(d > 10 for d in delays)} later than 10 s)")
    lines.append(f"  webhook latency         {'n':>6} {'p50 ms':>8} {'p99 ms':>8}")
    lines += [f"  {name:22} {len(v):6d} {ms(v, 50)} {ms(v, 99)}" for name, v in phases.items()]
    cpu, reported = cpu_by_role(storm), max(len(storm.expected), 1)
    web_per_caller, web_per_request = 1000 * cpu["web"] / storm.calls, 1000 * cpu["web"] / max(storm.nginx_requests, 1)
    lines.append(f"  CPU used by the nodes during the storm (s): web {cpu['web']:.1f} ({web_per_caller:.0f} ms per "
                 f"caller, {web_per_request:.1f} ms per request through nginx), workers {cpu['worker']:.1f} "
                 f"({1000 * cpu['worker'] / reported:.0f} ms per report), engines {cpu['engine']:.1f} (passes, by the "
                 f"second more than by the report); PostgreSQL, Redis, nginx and the sim not counted")
    if loads:
        lines.append(f"  load average (1 min) during the storm: start {loads[0]:.1f}, max {max(loads):.1f}, "
                     f"end {loads[-1]:.1f} (other work shares this machine)")
    errors_by_kind = Counter(c.error.split(":")[0] for c in callers if c.error)
    if errors_by_kind:
        lines.append(f"  caller scripts that did not go as planned: {dict(errors_by_kind)}")
    return lines


def storm_on_cluster(tmp: Path, calls: int, seconds: float, kill_web_at: float = 0.4, kill_worker_at: float = 0.6,
                     settle: float = 300, seed: int = 12, web_workers: int = 2) -> tuple[Storm, str]:
    """Start the shared services and the cluster in `tmp`, run the storm, stop everything. Returns
    the storm and the tail of every node's log (for a failure's message)."""
    with shared_services(tmp) as (database_url, redis_url, sim):
        cluster = cluster_for(tmp, database_url, redis_url, sim)
        cluster.web_workers = web_workers
        engine = schema_engine(database_url)
        try:
            cluster.start()
            cluster.wait_healthy(timeout=300)  # six Python processes importing the app on 2 shared cores
            print(f"cluster healthy; load average {os.getloadavg()[0]:.1f}", flush=True)
            storm = run_storm(cluster, sim, Db(engine), calls, seconds, kill_web_at, kill_worker_at, settle, seed)
            node_of = {str(n.proc.pid): n.name for n in cluster.nodes.values() if n.proc is not None}
            storm.lease_holder = node_of.get(storm.lease_holder.rsplit(":", 1)[-1], storm.lease_holder)
        finally:
            cluster.stop()
            engine.dispose()
        return storm, cluster.logs()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--calls", type=int, default=2000, help="callers (default 2000)")
    ap.add_argument("--seconds", type=float, default=120, help="window the callers arrive over, evenly (default 120)")
    ap.add_argument("--kill-web-at", type=float, default=0.4, help="fraction of the window to kill web-a at")
    ap.add_argument("--kill-worker-at", type=float, default=0.6,
                    help="fraction of the window to kill worker-a and engine-a at")
    ap.add_argument("--web-workers", type=int, default=2, help="gunicorn workers per web node (default 2)")
    ap.add_argument("--settle", type=float, default=300, help="seconds to wait for recordings and paging")
    ap.add_argument("--seed", type=int, default=12)
    args = ap.parse_args(argv)
    if not os.path.exists(NGINX):
        print(f"storm --cluster needs nginx ({NGINX}): apt-get install nginx", file=sys.stderr)
        return 2
    if (reason := unavailable_reason()) is not None:
        print(f"storm --cluster needs PostgreSQL: {reason}; set HOTLINE_TEST_POSTGRES (default {POSTGRES_URL})",
              file=sys.stderr)
        return 2
    tmp = Path(tempfile.mkdtemp(prefix="bench-storm-cluster-"))
    storm, _ = storm_on_cluster(tmp, args.calls, args.seconds, args.kill_web_at, args.kill_worker_at, args.settle,
                                args.seed, args.web_workers)
    print("\n".join(report(storm)))
    found = failures(storm)
    for line in found:
        print(f"FAILURE: {line}", file=sys.stderr)
    if found:
        print(f"the nodes' logs are in {tmp}", file=sys.stderr)
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
