"""Per-process handles to the outside world: config, database, Redis, queues, and the handles
engines keep here (the Twilio REST client, `hotline.provider.rest.client`).

Web processes and RQ workers both call `get_runtime()`; it is built once per process from
the environment (HOTLINE_CONFIG, REDIS_URL, DATABASE_URL ...) that `run.py` sets.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar, cast

from redis import Redis
from rq import Queue

from hotline.base.config import Config, load_config
from hotline.base.db import Database

T = TypeVar("T")
QUEUES = ("callout", "recordings", "transcribe", "default", "broadcasts")


# Redis answers in milliseconds; one that has not answered in this long is frozen or cut off (it
# accepted the connection and went silent), and the caller's fallback should start, not wait. An
# RQ worker lengthens its own connection's timeout to cover its blocking dequeue.
REDIS_TIMEOUT = 5.0


class NoRedis(RuntimeError):
    """This process has no Redis to queue work in (a command run with no hotline running for its
    data dir): the convergence cycle does the work from the database instead."""


@dataclass
class Runtime:
    config: Config
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _handles: dict[str, Any] = field(default_factory=dict, repr=False)

    @cached_property
    def db(self) -> Database:
        return Database(self.config.database_url)

    @cached_property
    def redis(self) -> Redis:
        if not self.config.redis_url:
            raise NoRedis("no Redis URL: start through run.py (embedded Redis) or set REDIS_URL")
        return Redis.from_url(self.config.redis_url, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT)

    def queue(self, name: str) -> Queue:
        return Queue(name, connection=self.redis)

    def handle(self, name: str, make: Callable[[], T]) -> T:
        """A per-process handle an engine keeps on the runtime (the Twilio REST client), made once."""
        with self._lock:
            if name not in self._handles:
                self._handles[name] = make()
            return cast(T, self._handles[name])


_runtime: Runtime | None = None
_runtime_lock = threading.Lock()


def get_runtime() -> Runtime:
    global _runtime
    with _runtime_lock:
        if _runtime is None:
            _runtime = Runtime(load_config())
        return _runtime


def set_runtime(runtime: Runtime | None) -> None:
    """For the app factory and tests: bind this process to a given configuration."""
    global _runtime
    with _runtime_lock:
        _runtime = runtime


def release_db_before_fork() -> None:
    """Close this process's pooled database connections before it forks a child (an RQ horse).

    A child must neither use nor close a SQLite connection it inherited: SQLite's per-file state
    would be shared with the parent's memory, and a close in the child drops every lock the child
    holds on the file, so writes are silently lost (tests/transcribe/test_fork_safety.py). Closed
    here, in the parent, there is nothing to inherit; the parent reconnects when it next needs to."""
    current = _runtime
    if current is not None and "db" in current.__dict__:
        current.db.engine.dispose()
