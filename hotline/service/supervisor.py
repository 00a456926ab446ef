"""`python run.py` with no arguments: the whole hotline on one machine, embedded defaults.

Order matters: the data-dir lock first (a second start must touch nothing), then what a
crashed previous run left, then every start-up check, then the schema, and only then the
children. Each child runs under `hotline.service.lifeline`, so it and everything it forks
die with the supervisor, even on `kill -9`. A child that exits is restarted with backoff and
counted in `run.json` (read by /healthz); the others keep running. Only a child that keeps
failing right after its start makes the supervisor give up, with a message saying which.

Most Python children are forks of one preloaded parent, the child "forkserver"
(hotline.service.forkserver): the hotline is imported once, not once per child, so a start does
not queue a dozen imports on a few cores. Each fork is still supervised on its own here, like
the children started as programs. HOTLINE_FORK_ROLES=0 starts every child as a program of its
own under its lifeline (the model before; bench/startup.py --warm compares the two).

A child that hangs instead of exiting (SIGSTOP, a deadlock) is found by its heartbeat
(hotline.base.heartbeat): the engine, every worker and the scheduler beat every period; one
whose beat is older than KILL_AFTER is killed, so the lifeline sweeps it and it is restarted
like any child that exits, and counted apart (`stale_restarts` in run.json, /healthz, and the
metric hotline_supervisor_restarts_total{cause="stale"}). Beats are judged only once Redis has
answered for longer than KILL_AFTER, so Redis being down or just back never gets anything killed.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import psutil
import requests
from redis import Redis
from redis.exceptions import RedisError

from hotline.base import heartbeat
from hotline.base.config import ROOT, Config
from hotline.base.db import Database, create_schema
from hotline.base.log_context import log_format
from hotline.base.private_files import private_dir, restrict_umask
from hotline.base.schema import SchemaError
from hotline.service.embedded_redis import (
    free_port,
    redis_argv,
    redis_password,
    redis_url,
    shown_url,
    unauthenticated_warning,
    wait_until_answers,
)
from hotline.service.forkserver import ForkedProc, NotReady, socket_path, spawn
from hotline.service.instance import (
    INSTANCE_ENV,
    AlreadyRunning,
    InstanceLock,
    clean_up_after_crash,
    state_path,
    write_state,
)
from hotline.service.metrics_dir import MULTIPROC_ENV, fresh
from hotline.service.preflight import PreflightError, bind_address, check_before_start

if TYPE_CHECKING:
    from sim import Sim

WORKER_QUEUES = ("callout", "recordings", "default")
# Downloads run in several processes, so a storm's recordings are fetched side by side; each
# runs its jobs in-process (rq.worker.SimpleWorker): forking a horse per download costs more
# than the download. Dialling never waits behind a download or a transcription.
RECORDING_WORKERS = 4
# Callout workers (hotline.service.workers.CalloutWorker): each runs one job at a time, and a page
# job holds its worker while its Calls.create is on the wire. With one, a report made just after an
# event flood's fifty new incidents waited for all fifty dials (bench/events.py: up to 8 s in the
# queue), and one slow Twilio request held every other callout's; with several, first dials go
# side by side (tests/callout/test_callout_workers.py). Drives of one callout running at once are
# safe, as with a second worker node: the attempt's unique slot and the placement claim
# (hotline.paging.callout.drive) ring each person at most once per step.
CALLOUT_WORKERS = 3
WORKERS: dict[str, tuple[str, ...]] = {
    **{f"callout-{i}": ("callout",) for i in range(1, CALLOUT_WORKERS + 1)},
    **{f"recordings-{i}": ("recordings", "default") for i in range(1, RECORDING_WORKERS + 1)},
    "transcriber": ("transcribe",),
    # Broadcast senders (hotline.broadcasts.jobs) wait on the provider's rate for up to half a
    # minute per job: on workers of their own, so no recording or page waits behind them.
    **{f"broadcasts-{i}": ("broadcasts",) for i in (1, 2)},
}
# The convergence cycle (hotline.paging.cycle): drives every open incident toward its
# desired state, so no lost webhook or job leaves a report unpaged.
ENGINE_ARGV = ["-m", "hotline.service.engine"]
# Children forked from the forkserver, not started as programs: every worker but the transcriber
# (its work horses call setpgrp, and only a lifeline sweeps them), the scheduler and the engine.
FORKED = frozenset(name for name in WORKERS if name != "transcriber") | {"scheduler", "engine"}
FORKSERVER = "forkserver"
# Started once the hotline is ready: no report waits for them (hotline.service.health.NEEDED_QUEUES),
# and the transcriber loads its speech models, seconds of CPU that a start should not wait behind.
AFTER_READY = ("transcriber",)
SCHEDULER_ARGV = ["-m", "hotline.service.scheduler"]  # RQ's scheduler, supervised (see worker_argv)

# Processes rather than threads: webhook handling is CPU-bound Python, and threads of one
# process queue on its GIL (bench/webhooks.py: p99 inside gunicorn 29 ms at 4x2 vs 118 ms at 2x8).
WEB_WORKER_CLASS = "gthread"
WEB_WORKERS = 2 * (os.cpu_count() or 1)
WEB_THREADS = 2
# A gthread worker accepts up to this many connections and queues them for its threads; they
# all fail with it when it crashes. Bounded, the rest wait in the kernel's listen queue, where
# any worker can take them. bench/storm.py, 500 calls, a worker killed every 8 s: 38.4 callers
# sent to the fallback per kill with gunicorn's default of 1000, 1.6 with 4; without kills the
# two were equally fast (300 calls: 29.9 s vs 35.5 s, storm p50 1.43 s vs 1.42 s).
WEB_WORKER_CONNECTIONS = 2 * WEB_THREADS
# No keep-alive: each request on a connection of its own, closed once answered. Each web worker takes
# a few connections at a time (WEB_WORKER_CONNECTIONS), and one that a client kept open between its
# requests kept its slot: an alerting tool's pool flooding the Events API over sixteen kept-alive
# connections held every slot, and a caller's webhook, on a new connection, waited in the listen
# queue until the flood ended (bench/events.py: p99 up to 16 s). Closed after each answer, every request
# waits in the kernel's listen queue in the order it came, as behind nginx (deploy/nginx/hotline.conf).
# HOTLINE_WEB_KEEPALIVE=SECONDS overrides it, for measuring the before.
WEB_KEEPALIVE = 0
# Stopping: each web worker first answers what waits in the listen queue (hotline.service.web_worker,
# at most its DRAIN_SECONDS), then what it holds; gunicorn kills a worker still busy after this.
GRACEFUL_SECONDS = 10
WORKER_CLASSES = {"gthread": "hotline.service.web_worker.DrainingWorker"}

# Priorities (niceness; raised only, so no privilege is needed). Paging never starves behind web
# work or downloads: the callout workers, the engine and RQ's scheduler keep the default (0); the
# web workers yield to them (WEB_NICE, set by each worker itself: hotline.service.gunicorn_conf);
# downloads, transcription and broadcast senders yield to both (BACKGROUND_NICE: `child_nice`,
# taken by each once started, hotline.base.heartbeat.NICE_ENV). Paging's writes also pass SQLite's
# write gate first (hotline.base.sqlite_gate.give_precedence). CFS shares a busy CPU by weight
# (nice 0: 1024, 5: 335, 10: 110), so the callout workers keep most of the cores while four web
# workers are flat out. Besides priorities, paging has processes of its own (CALLOUT_WORKERS, so
# first dials do not queue behind each other) and its webhooks a fair place in the listen queue
# (WEB_KEEPALIVE). bench/events.py measures phone reports' first dials during an event flood.
# HOTLINE_WEB_NICE and HOTLINE_BACKGROUND_NICE override them, for the benches' before (0 and 0).
WEB_NICE = 5
WEB_NICE_ENV = "HOTLINE_WEB_NICE"
BACKGROUND_NICE = 10
BACKGROUND_NICE_ENV = "HOTLINE_BACKGROUND_NICE"
BACKGROUND_CHILDREN = ("recordings-", "transcriber", "broadcasts-")

# glibc tunables per child. The transcriber forks once per job from a process that holds its Vosk
# models (600 MB for the Korean one), and a fork copies, and the job's exit frees, one page-table
# entry per page: with malloc asking for 2 MB pages (transparent huge pages, which Debian's kernel
# gives on request), 0.065 s of a job beyond decoding became 0.048 s (bench/transcribe.py). A
# glibc before 2.35, or a kernel with huge pages off, ignores it.
CHILD_TUNABLES = {"transcriber": "glibc.malloc.hugetlb=1"}


def child_nice(name: str) -> int:
    """How much a supervised child (by its name in WORKERS) yields the CPU; see BACKGROUND_NICE."""
    if not name.startswith(BACKGROUND_CHILDREN):
        return 0
    return int(os.environ.get(BACKGROUND_NICE_ENV) or BACKGROUND_NICE)


def web_nice() -> int:
    return int(os.environ.get(WEB_NICE_ENV) or WEB_NICE)

# HOTLINE_LOG_FORMAT=json: gunicorn's access lines as JSON too (its own error log stays text).
JSON_ACCESS_LOG = ('{"time": "%(t)s", "logger": "gunicorn.access", "remote": "%(h)s", "request": "%(r)s", '
                   '"status": %(s)s, "bytes": "%(B)s", "duration_us": %(D)s}')

# How often the supervisor looks at its children (and, until ready, at /healthz). While starting it
# looks more often: each look is a poll or a small GET, and every tick waited is a tick added to the
# start (a warm start waited 0.1 s on average at each of its steps: the forkserver, /healthz).
TICK_SECONDS = 0.2
STARTING_TICK_SECONDS = 0.05
FAST_FAILURE_SECONDS = 10.0  # a child that dies sooner than this after starting failed "fast"
GIVE_UP_AFTER = 5  # fast failures in a row
FIRST_BACKOFF_SECONDS = 0.5  # doubled after each fast failure in a row
MAX_BACKOFF_SECONDS = 30.0


def gunicorn_argv(cfg: Config, workers: int = WEB_WORKERS, threads: int = WEB_THREADS,
                  worker_class: str = WEB_WORKER_CLASS, connections: int = WEB_WORKER_CONNECTIONS) -> list[str]:
    """No control socket: its default path is per user, not per instance, so two hotlines (or
    test runs) on one machine would take it from each other; nothing here uses it.
    HOTLINE_WSGI_APP serves another app, for bench/storm.py's bare baseline (bench/bare_app.py).

    `--preload`: the master loads the app once and forks its workers from it, instead of each
    worker loading it beside the others. After a kill -9 every child of `run.py` imports the code
    at once on a few cores, and with four web workers doing so too no webhook was answered for
    30 s (bench/startup.py measures both; HOTLINE_WEB_PRELOAD=0 is its baseline). A worker that
    dies is forked again from the loaded master in milliseconds. The master closes its database
    connections before forking (`hotline.service.gunicorn_conf.pre_fork`)."""
    host, port = bind_address(cfg)
    app = os.environ.get("HOTLINE_WSGI_APP") or "hotline.service.wsgi:app"
    access = ["--access-logformat", JSON_ACCESS_LOG] if log_format() == "json" else []
    preload = [] if os.environ.get("HOTLINE_WEB_PRELOAD") == "0" else ["--preload"]
    return ["-m", "gunicorn", *access, *preload, "--bind", f"{host}:{port}", "--workers", str(workers),
            "--threads", str(threads), "--keep-alive", os.environ.get("HOTLINE_WEB_KEEPALIVE") or str(WEB_KEEPALIVE),
            "--worker-class", WORKER_CLASSES.get(worker_class, worker_class), "--worker-connections", str(connections),
            "--access-logfile", "-", "--graceful-timeout", str(GRACEFUL_SECONDS),
            "--no-control-socket", "--config", "python:hotline.service.gunicorn_conf", app]


def worker_env(url: str) -> dict[str, str]:
    """Where a worker finds Redis: `rq worker` reads RQ_REDIS_URL. In the environment, not on the
    command line, because the URL carries the password and every local account can read `ps`."""
    return {"RQ_REDIS_URL": url}


def worker_argv(queues: tuple[str, ...] = WORKER_QUEUES, with_scheduler: bool = True) -> list[str]:
    """Run with `worker_env(url)` in the environment. `with_scheduler=False` under the supervisor,
    which runs RQ's scheduler as a child of its own (hotline.service.scheduler: it survives a Redis
    outage, where one forked by a worker dies and comes back only at the worker's ten-minute
    maintenance). The worker class follows the queues:
    - "transcribe": hotline.transcribe.worker.PreloadingWorker loads the Vosk models once, before forking;
    - "callout": hotline.service.workers.CalloutWorker resumes open callouts at start and runs callout
      jobs without forking (see those modules);
    - "recordings" or "broadcasts": hotline.service.workers.RecordingsWorker, rq's SimpleWorker (jobs
      in-process, see RECORDING_WORKERS) with our logging;
    - any other: hotline.base.heartbeat.BeatingWorker (every worker beats, hotline.base.heartbeat).
    Each stops within about a second of SIGTERM once its job is done (hotline.base.rq_worker)."""
    if "transcribe" in queues:
        if set(queues) != {"transcribe"}:
            raise ValueError("run the transcribe queue in a worker of its own (it preloads models)")
        worker_class = ["--worker-class", "hotline.transcribe.worker.PreloadingWorker"]
    elif "callout" in queues:
        worker_class = ["--worker-class", "hotline.service.workers.CalloutWorker"]
    elif "recordings" in queues or "broadcasts" in queues:
        worker_class = ["--worker-class", "hotline.service.workers.RecordingsWorker"]
    else:
        worker_class = ["--worker-class", "hotline.base.heartbeat.BeatingWorker"]
    scheduler = ["--with-scheduler"] if with_scheduler else []
    return ["-m", "rq.cli", "worker", *scheduler, *worker_class, *queues]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class Child:
    """One supervised process (its lifeline wrapper) and its restart history; `argv` is the
    command the lifeline runs."""

    name: str
    argv: list[str]
    proc: subprocess.Popen[bytes] | ForkedProc | None = None
    started: float = 0.0
    restarts: int = 0
    fast_failures: int = 0
    restart_at: float | None = None
    last_exit: int | None = None
    last_restart: str | None = None
    beats: bool = False  # it writes a heartbeat (hotline.base.heartbeat): a hang of it is found
    started_wall: float = 0.0  # time.time() at its start: beats older than this are its predecessor's
    stale_restarts: int = 0  # restarts after the supervisor killed it for a stale heartbeat
    hung: str | None = None  # why it was killed, until it is restarted
    forked: bool = False  # forked by the forkserver (argv is `-m module ...`), not a program of its own

    def summary(self) -> dict[str, Any]:
        running = self.proc is not None and self.proc.poll() is None
        return {"pid": self.proc.pid if running and self.proc else None,
                "state": "running" if running else "restarting",
                "restarts": self.restarts, "stale_restarts": self.stale_restarts, "last_exit": self.last_exit,
                "last_restart": self.last_restart}


class GiveUp(Exception):
    """A child failed fast GIVE_UP_AFTER times in a row."""


@dataclass
class Supervisor:
    env: dict[str, str]
    on_change: Any = None  # called after any child starts or stops (writes run.json)
    children: list[Child] = field(default_factory=list)
    redis_url: str | None = None  # where the children beat; None: no hang is looked for
    _redis: Redis | None = None
    _redis_answering_since: float | None = None
    _next_beat_check: float = 0.0
    fork_socket: Path | None = None  # where the forkserver listens, once it is added

    def add(self, name: str, argv: list[str], beats: bool = False, forked: bool = False) -> Child:
        """`forked`: `argv` is `["-m", module, *args]`, forked by the forkserver (add it first,
        with `add_forkserver`); until it answers, the child waits to start (state "restarting")."""
        if forked and self.fork_socket is None:
            raise ValueError(f"{name}: add the forkserver before the children it forks")
        child = Child(name, argv, beats=beats, forked=forked)
        self.children.append(child)
        if not self._start(child):
            child.restart_at = time.monotonic()
        return child

    def add_forkserver(self, socket_path: Path, preload: tuple[str, ...] = ()) -> Child:
        self.fork_socket = socket_path
        return self.add(FORKSERVER, [sys.executable, "-m", "hotline.service.forkserver", str(socket_path),
                                     *preload])

    def _start(self, child: Child) -> bool:
        """Start `child`; False if it is forked and the forkserver does not answer yet."""
        env = {**self.env, heartbeat.CHILD_ENV: child.name}  # its beat's name (hotline.base.heartbeat)
        if child_nice(child.name):
            env[heartbeat.NICE_ENV] = str(child_nice(child.name))  # taken once started (BeatingWorker)
        if tunable := CHILD_TUNABLES.get(child.name):
            env["GLIBC_TUNABLES"] = ":".join(filter(None, (env.get("GLIBC_TUNABLES"), tunable)))
        if child.forked:
            assert self.fork_socket is not None
            try:
                child.proc = spawn(self.fork_socket, child.argv, env)
            except NotReady:
                return False
        else:
            command = [sys.executable, "-m", "hotline.service.lifeline", str(os.getpid()), "--", *child.argv]
            child.proc = subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True)
        child.started = time.monotonic()
        child.started_wall = time.time()
        child.restart_at = None
        child.hung = None
        return True

    def tend(self) -> None:
        """Notice exits, schedule restarts with backoff, start what is due. Raises GiveUp."""
        now = time.monotonic()
        changed = False
        for child in self.children:
            if child.restart_at is None and child.proc is not None and child.proc.poll() is not None:
                child.last_exit = child.proc.returncode
                fast = now - child.started < FAST_FAILURE_SECONDS
                child.fast_failures = child.fast_failures + 1 if fast else 1
                if child.fast_failures >= GIVE_UP_AFTER:
                    raise GiveUp(f"run.py: {child.name} exited {child.fast_failures} times in a row within "
                                 f"{FAST_FAILURE_SECONDS:.0f} s of starting (last exit code {child.last_exit}); "
                                 "giving up and stopping everything; its log is above")
                delay = min(MAX_BACKOFF_SECONDS, FIRST_BACKOFF_SECONDS * 2 ** (child.fast_failures - 1))
                child.restart_at = now + delay
                why = f"killed: {child.hung}" if child.hung else f"code {child.last_exit}"
                print(f"run.py: {child.name} exited ({why}); restarting it in {delay:.1f} s "
                      f"(restart #{child.restarts + 1})", file=sys.stderr, flush=True)
                changed = True
            elif child.restart_at is not None and now >= child.restart_at:
                stale = child.hung is not None
                first = child.proc is None  # a forked child's first start, waiting for the forkserver
                if not self._start(child):
                    child.restart_at = now + STARTING_TICK_SECONDS  # the forkserver is starting: not a failure
                    continue
                changed = True
                if first:
                    continue
                child.restarts += 1
                child.stale_restarts += stale
                child.last_restart = _now()
                print(f"run.py: {child.name} restarted (pid {child.proc.pid if child.proc else '?'}, "
                      f"restart #{child.restarts})", file=sys.stderr, flush=True)
        self.kill_hung()
        if changed and self.on_change:
            self.on_change()

    def kill_hung(self) -> None:
        """Kill (SIGKILL: it works on a stopped process too) each running child whose heartbeat,
        written since its start, is older than KILL_AFTER; `tend` then restarts it as any exit.
        A child that has not beaten yet is still starting (the transcriber loads its models)."""
        if not self.redis_url:
            return
        now = time.monotonic()
        if now < self._next_beat_check:
            return
        self._next_beat_check = now + 1.0
        try:
            if self._redis is None:
                self._redis = Redis.from_url(self.redis_url, socket_timeout=1, socket_connect_timeout=1)
            beats = heartbeat.read(self._redis)
        except (RedisError, OSError):
            self._redis_answering_since = None  # the children cannot beat either
            return
        if self._redis_answering_since is None:
            self._redis_answering_since = now
        if now - self._redis_answering_since < heartbeat.KILL_AFTER + heartbeat.PERIOD:
            return  # Redis just came back: the children have not had the time to beat again
        here = socket.gethostname()
        mine = {b.child: b for b in beats if b.host == here}
        wall = time.time()
        for child in self.children:
            beat = mine.get(child.name)
            if (not child.beats or beat is None or child.hung or child.restart_at is not None or child.proc is None
                    or child.proc.poll() is not None or beat.beat_at < child.started_wall):
                continue
            reason = beat.stale_reason(wall, heartbeat.KILL_AFTER)
            if reason:
                child.hung = reason
                print(f"run.py: {child.name} is hung ({reason}); killing it, to restart it", file=sys.stderr,
                      flush=True)
                if isinstance(child.proc, ForkedProc):
                    child.proc.kill()  # the fork is the program: its beat comes from its own thread
                else:
                    _kill_program(child.proc.pid, beat.pid)

    def summary(self) -> dict[str, Any]:
        return {c.name: c.summary() for c in self.children}

    def stop(self, timeout: float = 20.0, last: tuple[str, ...] = (FORKSERVER, "redis")) -> None:
        """Reverse start order; `last` after the rest, one by one: the forkserver once its forks
        have stopped (it would SIGTERM them a second time, which RQ takes as "stop now"), and
        Redis at the very end, so workers can finish their jobs and the web answer the webhooks
        already sent (their commands queue follow-ups). `timeout` outlasts a lifeline's own grace
        (hotline.service.lifeline.GRACE_SECONDS)."""
        groups = [[c for c in reversed(self.children) if c.name not in last]]
        groups += [[c for c in self.children if c.name == name] for name in last]
        for group in groups:
            for c in group:
                if c.proc is not None and c.proc.poll() is None:
                    c.proc.terminate()
            deadline = time.monotonic() + timeout
            for c in group:
                if c.proc is None:
                    continue
                try:
                    c.proc.wait(max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    c.proc.kill()  # its lifeline's descendants get SIGKILL via PDEATHSIG
                    c.proc.wait()


def _kill_program(lifeline_pid: int, pid: int) -> None:
    """SIGKILL the hung program under a lifeline (its beat's pid if it is one of the lifeline's
    descendants, else the lifeline's children); the lifeline then sweeps the rest and exits."""
    try:
        under = psutil.Process(lifeline_pid).children(recursive=True)
    except psutil.Error:
        return
    targets = [p for p in under if p.pid == pid] or psutil.Process(lifeline_pid).children()
    for p in targets:
        try:
            p.kill()
        except psutil.Error:
            pass


def run_all(cfg: Config) -> int:
    restrict_umask()  # inherited by web, workers, engine and the embedded Redis
    private_dir(cfg.data_dir)
    try:
        lock = InstanceLock.acquire(cfg.data_dir, cfg.public_url)
    except AlreadyRunning as exc:
        print(exc, file=sys.stderr)
        return 2
    try:
        clean_up_after_crash(cfg.data_dir)
        try:
            check_before_start(cfg)
        except PreflightError as exc:
            print(exc, file=sys.stderr)
            return 2
        return _run(cfg)
    finally:
        lock.release()


def _run(cfg: Config) -> int:
    db = Database(cfg.database_url)
    try:
        create_schema(db.engine)  # before any worker: they query at start (SQLite: upgraded, after a backup)
    except SchemaError as exc:
        print(f"run.py: {exc}", file=sys.stderr)
        return 2
    finally:
        db.engine.dispose()
    env = {**os.environ, "HOTLINE_CONFIG": str(cfg.path), "PYTHONUNBUFFERED": "1",
           INSTANCE_ENV: str(cfg.data_dir.resolve()), MULTIPROC_ENV: str(fresh(cfg.data_dir))}
    stop_now = {"flag": False}

    def on_signal(signum: int, _frame: object) -> None:
        stop_now["flag"] = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    info: dict[str, Any] = {"pid": os.getpid(), "public_url": cfg.public_url, "database_url": cfg.database_url,
                            "numbers": list(cfg.numbers), "started_at": _now(), "ready": False}
    sup = Supervisor(env)
    sup.on_change = lambda: write_state(cfg.data_dir, {**info, "children": sup.summary()})
    sim: Sim | None = None
    try:
        # Started first, and each without waiting for the one before where nothing depends on it:
        # the forkserver imports the hotline (a second of CPU) while Redis and the sim start, the sim
        # starts while Redis loads its data, and the web's master loads the app (the longest import
        # of a start) meanwhile too: it needs Redis's address, not Redis, until its workers answer.
        # Nothing is forked before Redis answers (add_children).
        if forking():
            sup.add_forkserver(socket_path(private_dir(cfg.data_dir / "run")))
        url = cfg.redis_url
        redis: Child | None = None
        if not url:
            redis_dir = private_dir(cfg.data_dir / "redis")
            password = redis_password(redis_dir)
            port = free_port()
            redis = sup.add("redis", redis_argv(redis_dir, port, password=password))
            url = redis_url(port, password)
        elif warning := unauthenticated_warning(url):
            print(warning, file=sys.stderr, flush=True)
        if not cfg.twilio.configured:
            try:
                sim = _start_sim(cfg, env)
            except OSError as exc:  # its port was taken after the check before start
                sim_port = os.environ.get("HOTLINE_SIM_PORT", "0")
                print(f"run.py: the sim cannot listen on port {sim_port} ({exc.strerror or exc}); set HOTLINE_SIM_PORT "
                      "to a free port, or unset it", file=sys.stderr)
                return 2
        env["REDIS_URL"] = url  # every child's, and through worker_env the workers' RQ_REDIS_URL
        env.update(worker_env(url))
        info["redis_url"] = url  # run.json is 0600: `run.py` commands beside the hotline join it
        info["sim_url"] = sim.api_base_url if sim else None
        info["sim_token"] = sim.control_token if sim else None
        add_web(sup, cfg)
        if redis is not None:
            assert isinstance(redis.proc, subprocess.Popen)  # add() starts it, as a program
            if not wait_until_answers(port, redis.proc, wait=15, password=password):
                print(f"run.py: the embedded Redis did not start; see {redis_dir / 'redis.log'}", file=sys.stderr)
                return 2
        sup.redis_url = url
        add_children(sup, cfg)
        sup.on_change()
        ready_deadline = time.monotonic() + 120
        while not stop_now["flag"]:
            sup.tend()
            if not info["ready"]:
                if _healthy(cfg):
                    info["ready"] = True
                    sup.on_change()
                    _print_banner(cfg, info)
                    add_children(sup, cfg, after_ready=True)
                    sup.on_change()
                elif time.monotonic() > ready_deadline:
                    print(f"run.py: not healthy within 120 s: {_health_text(cfg)}", file=sys.stderr)
                    return 1
            time.sleep(TICK_SECONDS if info["ready"] else STARTING_TICK_SECONDS)
        print("run.py: stopping", flush=True)
        return 0
    except GiveUp as exc:
        print(exc, file=sys.stderr, flush=True)
        return 1
    finally:
        sup.stop()
        if sim is not None:
            sim.stop()
        state_path(cfg.data_dir).unlink(missing_ok=True)


def add_children(sup: Supervisor, cfg: Config, after_ready: bool = False) -> None:
    """The web, the workers, the scheduler and the engine (`after_ready`: those of AFTER_READY);
    the forkserver first, unless HOTLINE_FORK_ROLES=0, when each is a program of its own (see FORKED).
    The forkserver and the web are not added twice (`_run` starts them earlier)."""
    py = sys.executable
    if not after_ready:
        if forking() and sup.fork_socket is None:
            sup.add_forkserver(socket_path(private_dir(cfg.data_dir / "run")))
        add_web(sup, cfg)
    roles = {**{name: worker_argv(queues, with_scheduler=False) for name, queues in WORKERS.items()},
             "scheduler": SCHEDULER_ARGV, "engine": ENGINE_ARGV}
    for name, argv in roles.items():
        if (name in AFTER_READY) != after_ready:
            continue
        forked = forking() and name in FORKED
        sup.add(name, argv if forked else [py, *argv], beats=True, forked=forked)


def add_web(sup: Supervisor, cfg: Config) -> None:
    """gunicorn, once."""
    if not any(c.name == "web" for c in sup.children):
        sup.add("web", [sys.executable, *gunicorn_argv(cfg, *web_model())])


def forking() -> bool:
    """Children in FORKED come from the forkserver; HOTLINE_FORK_ROLES=0: each is a program."""
    return os.environ.get("HOTLINE_FORK_ROLES") != "0"


def web_model() -> tuple[int, int, str, int]:
    """(workers, threads, worker class, connections per worker); HOTLINE_WEB_MODEL="CLASS:WxT/C"
    (e.g. "gthread:4x2/1000") overrides, for measuring other models with bench/storm.py."""
    model = os.environ.get("HOTLINE_WEB_MODEL", "")
    if not model:
        return WEB_WORKERS, WEB_THREADS, WEB_WORKER_CLASS, WEB_WORKER_CONNECTIONS
    worker_class, _, size = model.partition(":")
    size, _, connections = size.partition("/")
    workers, _, threads = size.partition("x")
    return int(workers), int(threads or 1), worker_class, int(connections or WEB_WORKER_CONNECTIONS)


def _healthy(cfg: Config) -> bool:
    """/healthz answers 200. Until the web listens, a connect that is refused answers, for a
    fraction of the CPU of a refused GET: the supervisor asks every STARTING_TICK_SECONDS."""
    if not _listening(cfg.public_url):
        return False
    try:
        return requests.get(f"{cfg.public_url}/healthz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def _listening(url: str) -> bool:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _health_text(cfg: Config) -> str:
    try:
        return requests.get(f"{cfg.public_url}/healthz", timeout=2).text.strip()
    except requests.RequestException as exc:
        return f"no answer at {cfg.public_url}/healthz ({type(exc).__name__})"


def _start_sim(cfg: Config, env: dict[str, str]) -> Sim:
    """No Twilio account: the sim plays Twilio, with our number wired to our webhooks."""
    from sim import Sim

    sid = "AC" + secrets.token_hex(16)
    token = secrets.token_hex(16)
    control = secrets.token_urlsafe(32)  # its control API places calls and hears every phone: ours alone
    sim = Sim(account_sid=sid, auth_token=token, virtual_time=False, control_token=control)
    sim.start(host="127.0.0.1", port=int(os.environ.get("HOTLINE_SIM_PORT", "0")))
    for number in cfg.numbers:
        sim.add_number(number, voice_url=f"{cfg.public_url}/voice/incoming",
                       voice_fallback_url=f"{cfg.public_url}/voice/fallback",
                       status_callback=f"{cfg.public_url}/voice/status", sms_url=f"{cfg.public_url}/sms/incoming")
    env.update(TWILIO_ACCOUNT_SID=sid, TWILIO_AUTH_TOKEN=token, HOTLINE_SIM_URL=sim.api_base_url,
               HOTLINE_SIM_TOKEN=control)
    return sim


def _print_banner(cfg: Config, info: dict[str, Any]) -> None:
    from hotline.console import first_run_token

    # Not the token itself: start-up logs (journald, a terminal's scrollback, CI logs) are read by
    # more people than the 0600 file is.
    token = first_run_token(cfg)
    token_file = cfg.data_dir / "console" / "first-run-token"
    lines = [
        "",
        f"Crisis hotline for {cfg.org_name} is running.",
        f"  console:   {cfg.public_url}/console/"
        + (f"   (first run: log in as `admin` with the token in {token_file}, readable by this user only)"
           if token else ""),
        f"  web:       {cfg.public_url}   (Twilio webhooks under /voice)",
        f"  database:  {cfg.database_url}",
        f"  redis:     {shown_url(info['redis_url'])}"
        + (f"   (password in {cfg.data_dir / 'redis' / 'password'})" if not cfg.redis_url else ""),
        f"  hotline:   {', '.join(cfg.numbers)}",
        f"  health:    {cfg.public_url}/healthz   (503 naming what is down; restarts in {cfg.data_dir / 'run.json'})",
    ]
    if info["sim_url"]:
        lines += [f"  sim:       {info['sim_url']}   (no Twilio credentials set: calls are simulated)",
                  f"  phones:    {cfg.public_url}/sim   (browser phones: play caller and responders)",
                  "",
                  "Place a first call:   python3 run.py call"]
    lines += ["Stop with Ctrl-C.", "hotline ready", ""]
    print("\n".join(lines), flush=True)
