"""An earthquake: N simultaneous inbound calls through the sim against the full `run.py` stack.

    python3 run.py bench storm [--calls 500] [--web-model gthread:4x2] [--kill-web-worker-every 8]
                               [--sample-queues] [--sim-processes K] [--think S]
    python3 run.py bench storm --cluster [--calls 2000] [--seconds 120]   (bench/storm_cluster.py)

`run.py` runs as a real subprocess with its own data dir and port; the sim runs here (real
time) and plays Twilio for it: its callers are threads of this process, or with
`--sim-processes K` spread over K processes, each a Sim of its own joined to this one (see
`Callers`: on 2 shared cores that measured worse). Calls are mixed: most classify, press a
severity and speak; about one in ten withholds its caller ID (and types a callback number);
about one in ten hangs up before choosing a type. Callers press as soon as a menu starts
(`--think S`: after listening S seconds). Before the storm, the same gunicorn serves a bare
TwiML endpoint (bench/bare_app.py) to the same number of concurrent calls: the baseline for
latency.

Reports webhooks answered vs errors and fallbacks, incidents created vs classified calls,
recordings stored vs pending or failed, incidents paged (a callout of their own or joined to a
storm callout), the time from the first call to the last incident paged, each incident's time
from its caller hanging up to its being paged (min/p50/p90/p99/max; seen by polling the database
every 0.25 s), and webhook p50/p99 during the storm against the bare endpoint, both as the sim saw
them (also by step of the call, and sent in the first 5 s or later) and as gunicorn did (its
access log's duration: time in the worker, without the wait in the listen queue or in the sim).
Where the difference went: the callers' own wake-up lateness (`Lateness`: their GIL and CPU
wait) and CPU, the CPU the web workers and each of run.py's children used during the calls (the
web's share of the machine), and with `--sample-queues` the mean wait per request in the kernel's listen queue,
accepted but unread by a worker, and answered but unread by the sim (bench/tcp_queues.py). The
load average before and after is printed beside them. A lost report or an unpaged incident is
printed as FAILURE and the exit code is 1.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psutil
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import tcp_queues  # noqa: E402
from bench.stats import percentile  # noqa: E402
from hotline.service.embedded_redis import free_port  # noqa: E402
from sim import Sim  # noqa: E402
from sim.audio import beep_pcm, pcm_to_wav  # noqa: E402
from sim.callstate import is_final  # noqa: E402

HOTLINE, BARE = "+886277001234", "+886277000000"
TYPE_KEYS = "1234567"
CALLBACK_DIGITS = "0912345678#"
SIM_PROCESSES = 0  # the callers as threads of the bench's process: spread over processes they measured worse (Callers)


@dataclass
class Caller:
    """One storm call: what the caller meant to do and what happened."""

    index: int
    kind: str  # "report", "withheld" (no caller ID) or "hangup" (before choosing a type)
    sid: str = ""
    classified: bool = False  # pressed a type key that the hotline took
    fallback: bool = False  # the sim went to the VoiceFallbackUrl
    finished: bool = False
    error: str = ""
    events: list[dict[str, Any]] = field(default_factory=list)



class FellBack(Exception):
    """The sim went to the VoiceFallbackUrl: the caller now hears the fallback flow."""


def expect(c, kind: str, timeout: float = 120):  # type: ignore[no-untyped-def]
    """Wait for the next <kind> (or the end of the call, for "end"), unless the call goes to the
    fallback first: then raise FellBack, as a caller would notice the different prompt."""
    def find():  # type: ignore[no-untyped-def]
        events = c.call.events
        for i in range(c.cursor, len(events)):
            e = events[i]
            if e["kind"] == "webhook" and e.get("purpose") == "fallback":
                c.cursor = i + 1
                raise FellBack()
            if e["kind"] == kind:
                c.cursor = i + 1
                return e
        if is_final(c.call.status):
            if kind == "end":
                return True
            raise AssertionError(f"call {c.sid} ended ({c.status}) before <{kind}>")
        return None

    return c.sim.wait_for(find, timeout, f"<{kind}> on call {c.sid}")


def play(sim: Sim, caller: Caller, wav: bytes, think: float = 0.0) -> None:
    """Run one caller's script. A caller sent to the fallback leaves the message there instead,
    as a person would after hearing "after the beep, say what happened". `think`: seconds the
    caller listens at each menu before pressing (0: presses as soon as the menu starts)."""
    c = sim.dial(None if caller.kind == "withheld" else f"+8869{10000000 + caller.index:08d}", HOTLINE)
    caller.sid = c.sid
    try:
        try:
            expect(c, "gather")
            if caller.kind == "hangup":
                c.hangup()
            else:
                time.sleep(think)
                c.press(random.choice(TYPE_KEYS))
                expect(c, "gather")  # severity: the type was taken
                caller.classified = True
                time.sleep(think)
                c.press(random.choice("12"))
                if caller.kind == "withheld":
                    expect(c, "gather")
                    time.sleep(think)
                    c.press(CALLBACK_DIGITS)
                expect(c, "record")
                c.speak(wav)
                c.press("#")
            expect(c, "end")
        except FellBack:
            caller.fallback = True
            c.expect_record(timeout=60)
            c.speak(wav)
            c.press("#")
            c.expect_hangup(timeout=60)
        caller.finished = True
    except Exception as exc:  # noqa: BLE001 - a failed script is counted, not raised
        caller.error = f"{type(exc).__name__}: {exc}"[:200]
    caller.fallback = caller.fallback or any(
        e["kind"] == "webhook" and e.get("purpose") == "fallback" for e in c.events)
    caller.events = [e for e in c.events if e["kind"] in ("webhook", "error", "hangup")]


def bare_calls(sim: Sim, indices: list[int]) -> list[float]:
    """Concurrent calls against the bare endpoint; the latency of each webhook (s)."""
    handles = []

    def one(i: int) -> None:
        c = sim.dial(f"+8869{20000000 + i:08d}", BARE)
        handles.append(c)
        c.expect_gather(timeout=120)
        for _ in range(3):
            c.press("1")
            c.expect_gather(timeout=120)
        c.hangup()

    threads = [threading.Thread(target=one, args=(i,)) for i in indices]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [e["latency_ms"] / 1000 for c in handles for e in c.events if e["kind"] == "webhook" and e["status"] == 200]


def play_all(sim: Sim, callers: list[Caller], wav: bytes, think: float = 0.0) -> None:
    """Every caller at once, a thread each (Twilio's callers are people: none waits for another)."""
    threads = [threading.Thread(target=play, args=(sim, c, wav, think)) for c in callers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


class Lateness:
    """How late a thread of this process wakes from a 10 ms sleep, sampled throughout a job: the
    wait for the GIL and a core that every one of the generator's threads also has before it can
    send a webhook or read its answer, and so part of every latency it reports."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            before = time.perf_counter()
            time.sleep(0.01)
            self.samples.append(time.perf_counter() - before - 0.01)

    def __enter__(self) -> Lateness:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system


@dataclass
class Played:
    """What a generator process measured in one job."""

    callers: list[Caller] = field(default_factory=list)
    bare: list[float] = field(default_factory=list)  # the bare endpoint's webhook latencies (s)
    lateness: list[float] = field(default_factory=list)  # Lateness samples (s)
    cpu: float = 0.0  # CPU seconds the process used during the job


def shard(conn: Any, spec: dict[str, Any]) -> None:
    """A caller process: a Sim of its own for the same account (it joined the bench's Sim, which
    serves the REST API and gets its recordings), the same numbers, and its share of the callers."""
    random.seed(spec["seed"])
    os.nice(spec["nice"])
    sim = Sim(spec["account_sid"], spec["auth_token"], virtual_time=False, webhook_timeout=15.0)
    sim.join(spec["front"])
    for number, urls in spec["numbers"].items():
        sim.add_number(number, **urls)
    conn.send("ready")
    while (job := conn.recv()) is not None:
        played, cpu = Played(), cpu_seconds()
        with Lateness() as late:
            if job["mode"] == "bare":
                played.bare = bare_calls(sim, job["indices"])
            else:
                played.callers = [Caller(i, kind) for i, kind in job["callers"]]
                play_all(sim, played.callers, job["wav"], job["think"])
        played.lateness, played.cpu = late.samples, cpu_seconds() - cpu
        conn.send(asdict(played))  # plain data: this module is __mp_main__ here, __main__ in the bench
    sim.stop()


class Callers:
    """Where the callers run: as threads of the bench's own process (processes=0, the bench's Sim
    plays them), or spread over `processes` child processes, each a Sim of its own that joined
    the bench's (which serves the REST API the hotline calls, and the recordings).

    Processes were to take the generator's own GIL out of the latency it reports. Measured (8 Dec
    2026, README "bench storm"), the GIL was not where the time went: the callers' own wake-up
    lateness stayed at p99 30-190 ms whichever way they ran, while the listen queue held 250-640
    webhooks and most of each one's wait. On 2 shared cores, 2 or 4 caller processes used more
    CPU (0.7-1.1 cores against 0.6) that the web workers then lacked, and every figure got worse;
    so the default stays threads. Processes are for a machine with cores to spare."""

    def __init__(self, sim: Sim, processes: int, numbers: dict[str, dict[str, str]], seed: int, nice: int = 0):
        self.sim, self.processes = sim, processes
        self._shards: list[tuple[Any, Any]] = []
        context = multiprocessing.get_context("spawn")  # the bench has threads: no fork
        for k in range(processes):
            here, there = context.Pipe()
            spec = {"seed": seed * 1000 + k, "account_sid": sim.account_sid, "auth_token": sim.auth_token,
                    "front": sim.api_base_url, "numbers": numbers, "nice": nice}
            proc = context.Process(target=shard, args=(there, spec), daemon=True, name=f"storm-callers-{k}")
            proc.start()
            self._shards.append((proc, here))
        for _, conn in self._shards:
            if conn.recv() != "ready":
                raise RuntimeError("a caller process did not start")

    def _run(self, jobs: list[dict[str, Any]]) -> list[Played]:
        for (_, conn), job in zip(self._shards, jobs, strict=True):
            conn.send(job)
        parts = [conn.recv() for _, conn in self._shards]
        return [Played(**dict(p, callers=[Caller(**c) for c in p["callers"]])) for p in parts]

    def bare(self, n: int) -> Played:
        if not self.processes:
            cpu = cpu_seconds()
            with Lateness() as late:
                latencies = bare_calls(self.sim, list(range(n)))
            return Played(bare=latencies, lateness=late.samples, cpu=cpu_seconds() - cpu)
        parts = self._run([{"mode": "bare", "indices": list(range(k, n, self.processes))}
                           for k in range(self.processes)])
        return Played(bare=[v for p in parts for v in p.bare], lateness=[v for p in parts for v in p.lateness],
                      cpu=sum(p.cpu for p in parts))

    def storm(self, callers: list[Caller], wav: bytes, think: float = 0.0) -> Played:
        """Play them all at once; the callers come back filled in (events, outcome)."""
        if not self.processes:
            cpu = cpu_seconds()
            with Lateness() as late:
                play_all(self.sim, callers, wav, think)
            return Played(callers=callers, lateness=late.samples, cpu=cpu_seconds() - cpu)
        parts = self._run([{"mode": "storm", "wav": wav, "think": think, "callers": [(c.index, c.kind) for c in
                                                                       callers[k::self.processes]]}
                           for k in range(self.processes)])
        played = {c.index: c for p in parts for c in p.callers}
        callers[:] = [played[c.index] for c in callers]
        return Played(callers=callers, lateness=[v for p in parts for v in p.lateness], cpu=sum(p.cpu for p in parts))

    def close(self) -> None:
        for proc, conn in self._shards:
            try:
                conn.send(None)
            except OSError:
                pass
            proc.join(10)
            if proc.is_alive():
                proc.kill()


class Stack:
    """`python3 run.py` in a data dir of its own, wired to our sim."""

    def __init__(self, tmp: Path, sim: Sim, web_model: str):
        self.tmp = tmp
        self.url = f"http://127.0.0.1:{free_port()}"
        env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL", "HOTLINE_CONFIG")}
        env.update(HOTLINE_DATA_DIR=str(tmp / "data"), HOTLINE_PUBLIC_URL=self.url, PYTHONUNBUFFERED="1",
                   TWILIO_ACCOUNT_SID=sim.account_sid, TWILIO_AUTH_TOKEN=sim.auth_token,
                   HOTLINE_SIM_URL=sim.api_base_url, HOTLINE_WSGI_APP="bench.bare_app:app",
                   HOTLINE_LOG_FORMAT="json")  # gunicorn's access lines carry each request's duration
        if web_model:
            env["HOTLINE_WEB_MODEL"] = web_model
        self.log = tmp / "run.log"
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "run.py")], env=env, cwd=tmp,
                                     stdout=self.log.open("wb"), stderr=subprocess.STDOUT)
        self.db = create_engine(f"sqlite:///{tmp / 'data' / 'hotline.db'}")

    def wait_ready(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while "hotline ready" not in self.log.read_text(errors="replace"):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"run.py did not become ready; see {self.log}")
            time.sleep(0.2)

    def web_workers(self) -> list[psutil.Process]:
        state = json.loads((self.tmp / "data" / "run.json").read_text())
        lifeline = psutil.Process(state["children"]["web"]["pid"])
        return lifeline.children()[0].children()

    def web_cpu(self) -> dict[int, float]:
        """CPU seconds each live web worker has used so far, by pid."""
        used = {}
        for worker in self.web_workers():
            try:
                t = worker.cpu_times()
                used[worker.pid] = t.user + t.system
            except psutil.Error:
                continue
        return used

    def tree_cpu(self) -> dict[str, dict[int, float]]:
        """CPU seconds used so far by each of run.py's children (by name), per process of its tree;
        a child forked from another (the forkserver's) counts under its own name only."""
        state = json.loads((self.tmp / "data" / "run.json").read_text())
        roots = {child["pid"]: name for name, child in state["children"].items()}
        used: dict[str, dict[int, float]] = {}
        for pid, name in roots.items():
            todo = [pid]
            while todo:
                try:
                    proc = psutil.Process(todo.pop())
                    t = proc.cpu_times()
                    used.setdefault(name, {})[proc.pid] = t.user + t.system
                    todo += [c.pid for c in proc.children() if c.pid not in roots]
                except psutil.Error:
                    continue
        return used

    def served_ms(self, path_prefix: str) -> list[float]:
        """Each answered request's time inside gunicorn (ms) from the access log, by path prefix."""
        found = []
        for line in self.log.read_text(errors="replace").splitlines():
            if '"gunicorn.access"' not in line:
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            method_path = entry.get("request", "").split(" ")
            if len(method_path) > 1 and method_path[1].startswith(path_prefix):
                found.append(int(entry["duration_us"]) / 1000)
        return found

    def query(self, sql: str) -> list[Any]:
        with self.db.connect() as c:
            return list(c.execute(text(sql)))

    def stop(self) -> None:
        self.db.dispose()
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def outcome(stack: Stack, callers: list[Caller]) -> dict[str, Any]:
    """What the database says about the storm's calls, right now."""
    sids = {c.sid for c in callers}
    calls = {sid: inc for sid, inc in stack.query("SELECT sid, incident_id FROM calls") if sid in sids}
    incidents = {row[0] for row in stack.query("SELECT id FROM incidents")}
    rec = dict(stack.query("SELECT status, count(*) FROM recordings GROUP BY status"))
    paged = {inc: storm for inc, storm in stack.query(
        "SELECT ci.incident_id, c.storm FROM callout_incidents ci JOIN callouts c ON c.id = ci.callout_id")}
    last_stored = stack.query("SELECT max(stored_at) FROM recordings")[0][0]
    return {"calls": calls, "incidents": incidents, "recordings": rec, "paged": paged, "last_stored": last_stored}


def hangup_to_paged(callers: list[Caller], calls: dict[str, int | None], paged_wall: dict[int, float]) -> list[float]:
    """Per incident: the moment it was first seen paged minus its caller's hang-up (the sim's event)."""
    hung: dict[int, float] = {}
    for c in callers:
        incident = calls.get(c.sid)
        ends = [e["t"] for e in c.events if e["kind"] == "hangup"]
        if incident is not None and ends:
            hung[incident] = min(hung.get(incident, ends[0]), ends[0])
    return [paged_wall[i] - at for i, at in hung.items() if i in paged_wall]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--calls", type=int, default=500, help="simultaneous inbound calls (default 500)")
    ap.add_argument("--bare-calls", type=int, default=0, help="concurrent calls for the baseline (default: --calls)")
    ap.add_argument("--web-model", default="",
                    help='gunicorn model, "CLASS:WxT/C", e.g. "gthread:4x2/1000" (default: run.py\'s)')
    ap.add_argument("--kill-web-worker-every", type=float, default=None,
                    help="kill -9 one gunicorn worker every this many seconds while the calls last "
                         "(the blast radius: callers sent to the fallback per kill)")
    ap.add_argument("--sim-processes", type=int, default=SIM_PROCESSES,
                    help=f"processes the callers run in, each with a Sim of its own (default {SIM_PROCESSES}); "
                         "0: threads of the bench's own process, as before")
    ap.add_argument("--think", type=float, default=0.0,
                    help="seconds each caller listens at each menu before pressing (default 0: at once)")
    ap.add_argument("--sim-nice", type=int, default=0,
                    help="niceness of the callers' process(es) (default 0; run.py's web workers run at 5)")
    ap.add_argument("--sample-queues", action="store_true",
                    help="sample the kernel's TCP queues (bench/tcp_queues.py) to show where webhooks waited")
    ap.add_argument("--settle", type=float, default=300, help="seconds to wait for recordings and paging")
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--cluster", action="store_true", help="the storm on two web and two worker nodes behind nginx, "
                    "one of each killed midway (bench/storm_cluster.py; `--cluster --help` for its options)")
    if "--cluster" in sys.argv[1:]:
        from bench.storm_cluster import main as cluster_storm
        return cluster_storm([a for a in sys.argv[1:] if a != "--cluster"])
    args = ap.parse_args()
    random.seed(args.seed)
    load_before = os.getloadavg()
    tmp = Path(tempfile.mkdtemp(prefix="bench-storm-"))
    sim = Sim(virtual_time=False, webhook_timeout=15.0)
    sim.start()
    stack = Stack(tmp, sim, args.web_model)
    numbers = {HOTLINE: {"voice_url": f"{stack.url}/voice/incoming",
                         "voice_fallback_url": f"{stack.url}/voice/fallback",
                         "status_callback": f"{stack.url}/voice/status"},
               BARE: {"voice_url": f"{stack.url}/bench/bare"}}
    for number, urls in numbers.items():
        sim.add_number(number, **urls)
    failures: list[str] = []
    generator: Callers | None = None
    sampler: subprocess.Popen[bytes] | None = None
    try:
        generator = Callers(sim, args.sim_processes, numbers, args.seed, args.sim_nice)
        if not args.sim_processes and args.sim_nice:
            os.nice(args.sim_nice)  # the bench's own callers; run.py (started above) keeps its priorities
        stack.wait_ready()
        if args.sample_queues:
            sampler = subprocess.Popen([sys.executable, "-c", "import sys; from bench.tcp_queues import main; "
                                        "main(sys.argv[1:])", stack.url.rsplit(":", 1)[1], str(tmp / "queues.txt")],
                                       cwd=ROOT)
        wav = pcm_to_wav(beep_pcm(2.0, 440.0))
        bare_window = [time.time()]
        bare_played = generator.bare(args.bare_calls or args.calls)
        bare, bare_window = bare_played.bare, [*bare_window, time.time()]

        kinds = ["hangup" if i % 10 == 3 else "withheld" if i % 10 == 7 else "report" for i in range(args.calls)]
        callers = [Caller(i, kind) for i, kind in enumerate(kinds)]
        killed: list[int] = []
        calls_over = threading.Event()
        if args.kill_web_worker_every is not None:
            def kill_workers() -> None:
                while not calls_over.wait(args.kill_web_worker_every):
                    victim = random.choice(stack.web_workers())
                    killed.append(victim.pid)
                    victim.kill()
            threading.Thread(target=kill_workers, daemon=True).start()
        started = time.monotonic()
        first_call_wall = time.time()
        paged_seen: dict[int, float] = {}  # incident id -> seconds into the storm it was first seen paged
        paged_wall: dict[int, float] = {}  # the same moment, time.time() (the sim's clock: its hang-up events)
        storm_over = threading.Event()

        def watch() -> None:
            """Poll during and after the storm, so "last incident paged" is measured, not bounded."""
            while not storm_over.is_set():
                for inc in outcome(stack, [])["paged"]:
                    paged_seen.setdefault(inc, time.monotonic() - started)
                    paged_wall.setdefault(inc, time.time())
                storm_over.wait(0.25)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        web_cpu_before, tree_before = stack.web_cpu(), stack.tree_cpu()
        storm_played = generator.storm(callers, wav, args.think)
        web_cpu = sum(v - web_cpu_before.get(pid, 0.0) for pid, v in stack.web_cpu().items())
        tree_cpu = {name: sum(v - tree_before.get(name, {}).get(pid, 0.0) for pid, v in procs.items())
                    for name, procs in stack.tree_cpu().items()}
        calls_done = time.monotonic() - started
        calls_over.set()

        expected = [c for c in callers if c.classified or c.fallback]
        deadline = time.monotonic() + args.settle
        while True:
            now = outcome(stack, callers)
            if (not now["recordings"].get("pending", 0) and not now["incidents"] - set(now["paged"])) \
                    or time.monotonic() > deadline:
                break
            time.sleep(0.25)
        storm_over.set()
        watcher.join()
        for inc in now["paged"]:
            paged_seen.setdefault(inc, time.monotonic() - started)
            paged_wall.setdefault(inc, time.time())
        paged_at = max(paged_seen[i] for i in now["paged"]) if now["paged"] and not (
            now["incidents"] - set(now["paged"])) else None
        served_bare, served_storm = stack.served_ms("/bench/bare"), stack.served_ms("/voice/")
        storm_window = (first_call_wall, first_call_wall + calls_done)
    finally:
        if sampler is not None:
            sampler.terminate()
            sampler.wait()
        if generator is not None:
            generator.close()
        stack.stop()
        sim.stop()
    load_after = os.getloadavg()

    webhooks = [e for c in callers for e in c.events if e["kind"] == "webhook"]
    answered = [e for e in webhooks if e["error_code"] is None]
    errors = [e for e in webhooks if e["error_code"] is not None]
    latencies = [e["latency_ms"] / 1000 for e in answered if e.get("purpose") != "fallback"]
    lost = [c for c in expected if not now["calls"].get(c.sid)]
    unpaged = now["incidents"] - set(now["paged"])
    storm_joined = sum(1 for storm in now["paged"].values() if storm)
    last_stored = now["last_stored"]

    print(f"storm: {args.calls} simultaneous calls ({kinds.count('report')} reports, {kinds.count('withheld')} "
          f"withheld caller ID, {kinds.count('hangup')} hang up before choosing); web model "
          f"{args.web_model or 'run.py default'}; {os.cpu_count()} cores; data in {tmp}")
    print(f"  calls finished their script: {sum(c.finished for c in callers)}/{args.calls} in {calls_done:.1f} s")
    print(f"  webhooks: {len(answered)} answered, {len(errors)} errors; callers sent to the fallback: "
          f"{sum(c.fallback for c in callers)}"
          + (f" (while {len(killed)} gunicorn workers were killed: "
             f"{sum(c.fallback for c in callers) / len(killed):.1f} per kill)" if killed else ""))
    print(f"  incidents: {len(now['incidents'])} created for {sum(c.classified for c in callers)} classified calls"
          f" (+{sum(c.fallback and not c.classified for c in callers)} via fallback)")
    print(f"  recordings: {now['recordings'].get('stored', 0)} stored, {now['recordings'].get('pending', 0)} pending, "
          f"{now['recordings'].get('failed', 0)} failed")
    print(f"  paged: {len(now['paged'])}/{len(now['incidents'])} incidents ({storm_joined} joined to a storm callout, "
          f"{len(now['paged']) - storm_joined} with their own)")
    print("  first call -> last incident paged: " + (f"{paged_at:.1f} s" if paged_at is not None else "never"))
    waits = hangup_to_paged(callers, now["calls"], paged_wall)
    if waits:
        print(f"  caller hung up -> incident paged ({len(waits)} incidents): min {min(waits):.1f} s, p50 "
              f"{statistics.median(waits):.1f} s, p90 {percentile(waits, 90):.1f} s, "
              f"p99 {percentile(waits, 99):.1f} s, max {max(waits):.1f} s; over 10 s: "
              f"{sum(w > 10 for w in waits)} (target: none)")
    if last_stored:
        from datetime import UTC, datetime

        stored = last_stored if isinstance(last_stored, datetime) else datetime.fromisoformat(str(last_stored))
        stored = stored if stored.tzinfo else stored.replace(tzinfo=UTC)
        print(f"  first call -> last recording stored: {stored.timestamp() - first_call_wall:.1f} s "
              f"(calls took {calls_done:.1f} s)")
    print(f"  webhook latency      {'n':>6} {'p50 ms':>8} {'p99 ms':>8}")
    for name, values in (("bare endpoint", bare), ("storm webhooks", latencies)):
        print(f"  {name:20} {len(values):6d} {1000 * statistics.median(values):8.1f} "
              f"{1000 * percentile(values, 99):8.1f}")
    by_kind: dict[str, list[float]] = {}
    for e in answered:
        if e.get("purpose") != "fallback":
            sent = e["t"] - e["latency_ms"] / 1000 - first_call_wall
            by_kind.setdefault(f"  {str(e.get('purpose')).split(':')[0]} (the call's first)"
                               if e.get("purpose") == "voice" else f"  {str(e.get('purpose')).split(':')[0]}",
                               []).append(e["latency_ms"] / 1000)
            by_kind.setdefault("  sent in the first 5 s" if sent < 5 else "  sent after 5 s", []).append(
                e["latency_ms"] / 1000)
    for name, values in sorted(by_kind.items()):
        print(f"  {name:20} {len(values):6d} {1000 * statistics.median(values):8.1f} "
              f"{1000 * percentile(values, 99):8.1f}")
    for name, values in (("bare, in gunicorn", [v / 1000 for v in served_bare]),
                         ("storm, in gunicorn", [v / 1000 for v in served_storm])):
        if values:
            print(f"  {name:20} {len(values):6d} {1000 * statistics.median(values):8.1f} "
                  f"{1000 * percentile(values, 99):8.1f}")
    where = ("threads of the bench's process" if not args.sim_processes
             else f"{args.sim_processes} processes, a Sim each")
    for name, played, seconds in (("bare", bare_played, bare_window[1] - bare_window[0]),
                                  ("storm", storm_played, calls_done)):
        late = played.lateness
        print(f"  callers ({name}) ran as {where}: their own wake-up lateness (GIL and CPU) p50 "
              f"{1000 * statistics.median(late):.1f} ms, p99 {1000 * percentile(late, 99):.0f} ms, max "
              f"{1000 * max(late):.0f} ms; CPU {played.cpu:.1f} s in {seconds:.1f} s "
              f"({played.cpu / seconds:.2f} cores)")
    print(f"  web workers (nice {os.environ.get('HOTLINE_WEB_NICE') or 5}) used {web_cpu:.1f} s of CPU in the "
          f"{calls_done:.1f} s of calls ({web_cpu / calls_done:.2f} cores of {os.cpu_count()}; "
          f"{1000 * web_cpu / max(len(served_storm), 1):.1f} ms per request)")
    busiest = sorted(tree_cpu.items(), key=lambda kv: -kv[1])
    print(f"  run.py's children's CPU in those {calls_done:.1f} s (s): "
          + ", ".join(f"{name} {used:.1f}" for name, used in busiest if used >= 0.1))
    if args.sample_queues:
        storm_seen = [e["latency_ms"] / 1000 for e in webhooks]
        for name, seen, served, window in (("bare", bare, served_bare, bare_window),
                                           ("storm", storm_seen, served_storm, storm_window)):
            # the queues hold every request to the port (the responders' calls' too): per request served
            q, n = tcp_queues.waits(tmp / "queues.txt", *window), max(len(served), 1)
            parts = {"in gunicorn": sum(served) / 1000 / n,
                     "in the listen queue": q["accept_queue_s"] / n,
                     "accepted, unread by a worker": max(0.0, q["unread_request_s"] - q["accept_queue_s"]) / n,
                     "answered, unread by the sim": q["unread_response_s"] / n}
            mean = statistics.fmean(seen)
            rest = mean - sum(parts.values())
            print(f"  where a {name} webhook's time went (mean, ms): the sim saw {1000 * mean:.1f} = "
                  + " + ".join(f"{k} {1000 * v:.1f}" for k, v in parts.items())
                  + f" + the rest (the sim before sending, connecting; the samples' error) {1000 * rest:.1f}"
                  f" (listen queue at most "
                  f"{q['max_accept_queue']:.0f})")
    print(f"  p99 ratio storm/bare: {percentile(latencies, 99) / max(percentile(bare, 99), 1e-3):.1f}; "
          f"storm webhook p99 {1000 * percentile(latencies, 99):.0f} ms (target <= 500 ms)")
    print(f"  load average before {load_before[0]:.1f}, after {load_after[0]:.1f} (1 min; others share these cores)")
    if lost:
        (tmp / "lost.json").write_text(json.dumps([{"sid": c.sid, "kind": c.kind, "error": c.error,
                                                    "events": c.events} for c in lost], indent=1, default=str))
        failures.append(f"{len(lost)} reports LOST: classified calls without an incident: "
                        f"{', '.join(c.sid for c in lost[:10])}")
    if unpaged:
        failures.append(f"{len(unpaged)} incidents NEVER PAGED: {sorted(unpaged)[:20]}")
    if now["recordings"].get("pending") or now["recordings"].get("failed"):
        failures.append(f"recordings not stored: {now['recordings']}")
    for line in failures:
        print(f"FAILURE: {line}", file=sys.stderr)
    errors_by_kind: dict[str, int] = {}
    for c in callers:
        if c.error:
            errors_by_kind[c.error.split(":")[0]] = errors_by_kind.get(c.error.split(":")[0], 0) + 1
    if errors_by_kind:
        print(f"  caller scripts that did not go as planned: {errors_by_kind}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
