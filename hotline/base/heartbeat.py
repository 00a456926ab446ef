"""Heartbeats: every long-running process (the engine, each RQ worker, the RQ scheduler) says
"still alive" every PERIOD, so one that hangs (SIGSTOP, a deadlock, a swap storm) is seen and
restarted, not only one that exits. /healthz names a stale one (503), the console's Health page
shows each engine's last cycle, and the supervisor kills and restarts a stale child of its own.

Where: one Redis hash, `hotline:heartbeats`, a field per process ("<host>/<child>", the child's
name in the supervisor, or "<kind>-<pid>" outside it), its value JSON. Why Redis, not a database
row: about ten processes per node beat every two seconds, which costs Redis nothing but would
queue on SQLite's one writer lock in the middle of a storm; every node's /healthz and console see
every node's beats; and no schema change. The price: while Redis is down no beat is written or
read. Then /healthz is 503 naming Redis anyway, and nobody judges a beat it could not read (the
supervisor judges only after Redis has answered for longer than KILL_AFTER), so a Redis outage
never gets an engine killed that is still paging from the database.

Who writes: a daemon thread in the process, not its main loop. A convergence pass or a job may
rightly take longer than a period, and a busy engine must not be killed; a stopped or frozen
process stops its threads too. What the thread cannot see, the engine's loop stuck inside one
pass, is `cycle_at`, set by the loop after each pass: older than HUNG_CYCLE_SECONDS is stale too.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

import psutil
from redis import ConnectionPool, Redis
from redis.exceptions import RedisError

from hotline.base.rq_worker import PromptStopWorker

log = logging.getLogger("hotline.heartbeat")

KEY = "hotline:heartbeats"
CHILD_ENV = "HOTLINE_CHILD"  # the supervisor names each child in its environment
# ... and may ask a worker to yield the CPU (a niceness), which it does once started: its imports
# and start-up run at full priority, so a loaded machine does not delay "hotline ready".
NICE_ENV = "HOTLINE_NICE"
PERIOD = 2.0  # the engine's period (hotline.service.engine.PERIOD_SECONDS)
# /healthz says stale once a beat is this old: a process frozen right after its beat is named
# within three periods of freezing.
STALE_AFTER = 2.5 * PERIOD
KILL_AFTER = 3 * PERIOD  # the supervisor's kill: a little later than the health check, never sooner
HUNG_CYCLE_SECONDS = 120.0  # an engine alive but without a finished pass this long is stale too
FORGET_AFTER = 3600.0  # a beat of another node this old is dropped (the node is gone)


def field_name(kind: str, host: str | None = None, child: str | None = None, pid: int | None = None) -> str:
    host = host or socket.gethostname()
    child = child or os.environ.get(CHILD_ENV) or f"{kind}-{pid or os.getpid()}"
    return f"{host}/{child}"


@dataclass(frozen=True)
class Beat:
    """What one process last said about itself; times are Unix seconds (wall clock)."""

    field: str
    kind: str
    host: str
    child: str
    pid: int
    beat_at: float
    cycle_at: float | None = None
    rq_name: str | None = None  # an RQ worker's own name (its jobs name it), to judge them by this beat

    def stale_reason(self, now: float, after: float = STALE_AFTER) -> str | None:
        """Why this process counts as hung, or None. Says how long it has been silent."""
        if now - self.beat_at > after:
            return f"no heartbeat for {now - self.beat_at:.0f} s (pid {self.pid} on {self.host})"
        if self.cycle_at is not None and now - self.cycle_at > HUNG_CYCLE_SECONDS:
            return f"no finished convergence pass for {now - self.cycle_at:.0f} s (pid {self.pid} on {self.host})"
        return None

    def label(self, here: str | None = None) -> str:
        """Its child's name, with the host when it is another node's."""
        return self.child if self.host == (here or socket.gethostname()) else f"{self.child}@{self.host}"


class Heartbeat:
    """The beating thread of one process. `cycle_done()` is for a loop that should also prove it
    moves (the engine's); `stop()` removes the beat, so a process stopped on purpose is not stale."""

    def __init__(self, kind: str, redis: Redis, period: float = PERIOD, *, cycles: bool = False,
                 rq_name: str | None = None):
        self.kind = kind
        self.rq_name = rq_name
        self.redis = redis
        self.period = period
        self.field = field_name(kind)
        self.child = self.field.split("/", 1)[1]
        self.cycle_at: float | None = time.time() if cycles else None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{kind}", daemon=True)
        self._failing = False

    @classmethod
    def to_url(cls, kind: str, url: str, **kwargs: Any) -> Heartbeat:
        """Its own connection with short timeouts: a beat never waits long on a Redis that is down."""
        return cls(kind, Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1), **kwargs)

    def start(self) -> Heartbeat:
        self._thread.start()
        return self

    def cycle_done(self) -> None:
        self.cycle_at = time.time()

    def beat(self) -> None:
        value = {"kind": self.kind, "host": socket.gethostname(), "child": self.child, "pid": os.getpid(),
                 "beat_at": time.time(), "cycle_at": self.cycle_at, "rq_name": self.rq_name}
        self.redis.hset(KEY, self.field, json.dumps(value))

    def _run(self) -> None:
        while True:
            try:
                self.beat()
                if self._failing:
                    log.info("heartbeat written again")
                self._failing = False
            except (RedisError, OSError) as exc:
                if not self._failing:  # once per outage, not every period
                    log.warning("heartbeat not written (%s); trying every %.0f s", exc, self.period)
                self._failing = True
            if self._stop.wait(self.period):
                return

    def stop(self) -> None:
        self._stop.set()
        try:
            self.redis.hdel(KEY, self.field)
        except (RedisError, OSError):
            pass


def read(redis: Redis, now: float | None = None) -> list[Beat]:
    """Every beat worth judging. Dropped (and deleted): beats of processes on this host that no
    longer exist (dead, not hung: an exit is the supervisor's and RQ's business), and beats of
    other hosts silent for FORGET_AFTER. Raises RedisError when Redis does not answer."""
    now = time.time() if now is None else now
    here = socket.gethostname()
    beats, gone = [], []
    for raw_field, raw in redis.hgetall(KEY).items():
        name = raw_field.decode() if isinstance(raw_field, bytes) else str(raw_field)
        try:
            v = json.loads(raw)
            beat = Beat(name, str(v["kind"]), str(v["host"]), str(v["child"]), int(v["pid"]), float(v["beat_at"]),
                        None if v.get("cycle_at") is None else float(v["cycle_at"]), v.get("rq_name"))
        except (ValueError, KeyError, TypeError):
            gone.append(name)
            continue
        if (beat.host == here and not _alive(beat.pid)) or now - beat.beat_at > FORGET_AFTER:
            gone.append(name)
        else:
            beats.append(beat)
    if gone:
        redis.hdel(KEY, *gone)
    return beats


def worker_alive(redis: Redis, rq_name: str | None) -> bool:
    """Whether the RQ worker named `rq_name` (a job's `worker_name`) is alive, judged as soon as it
    can be: gone from RQ's registry, a dead process on this host, or a stale beat elsewhere is
    dead. RQ itself notices only when the worker's key expires and its maintenance runs, up to
    about ten minutes later, and meanwhile a job of that worker still says "started"."""
    if not rq_name:
        return True  # nothing to judge by: trust RQ
    raw = redis.hgetall(f"rq:worker:{rq_name}")
    if not raw:
        return False
    info = {(k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
            for k, v in raw.items()}
    if info.get("hostname") == socket.gethostname() and str(info.get("pid", "")).isdigit():
        return _alive(int(info["pid"]))
    now = time.time()
    beat = next((b for b in read(redis, now) if b.rq_name == rq_name), None)
    return beat is None or beat.stale_reason(now, KILL_AFTER) is None


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def stale(beats: list[Beat], now: float | None = None, after: float = STALE_AFTER) -> dict[str, str]:
    """Each hung process, by label (hotline.base.heartbeat.Beat.label), with why."""
    now = time.time() if now is None else now
    here = socket.gethostname()
    out = {}
    for beat in beats:
        reason = beat.stale_reason(now, after)
        if reason:
            out[beat.label(here)] = reason
    return out


class BeatingWorker(PromptStopWorker):
    """An RQ worker that beats from `bootstrap` until `teardown` (a stop on purpose removes the
    beat), on a connection of its own (short timeouts; never used by a forked horse), and stops
    promptly (hotline.base.rq_worker). Every worker class of ours that runs jobs derives from it."""

    liveness: Heartbeat | None = None  # not `heartbeat`: that is RQ's own method (its worker key's TTL)

    def bootstrap(self, *args: Any, **kwargs: Any) -> None:
        super().bootstrap(*args, **kwargs)
        pool = self.connection.connection_pool
        settings = {**pool.connection_kwargs, "socket_timeout": 1, "socket_connect_timeout": 1}
        own = ConnectionPool(connection_class=pool.connection_class, **settings)
        self.liveness = Heartbeat("worker", Redis(connection_pool=own), rq_name=self.name).start()
        nice = int(os.environ.get(NICE_ENV) or 0)
        if nice:
            os.nice(nice)

    def teardown(self) -> None:
        if self.liveness is not None:
            self.liveness.stop()
        super().teardown()  # type: ignore[no-untyped-call]
