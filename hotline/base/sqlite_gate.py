"""One writer at a time on the embedded SQLite database, queued instead of polled.

SQLite lets one transaction write at a time. A second writer is told "busy" and its busy handler
sleeps and retries on a fixed schedule (1, 2, 5, 10 ... 100 ms), so under a storm a webhook can
sleep 100 ms while the lock has long been free, and the CPU idles meanwhile (bench/webhooks.py,
before this gate: a fifth of the IVR statements waited over 5 ms, the longest 180 ms).

The gate is taken just before a transaction's first write (INSERT, UPDATE, DELETE, REPLACE: the
statements before which Python's sqlite3 opens the transaction) and given back when it commits,
rolls back or closes: the span during which SQLite holds its write lock anyway. Threads of one
process queue on a lock that wakes the next one at once; processes on an flock of one file next to
the database, tried every 0.1 to 0.5 ms. Reads never touch it (WAL readers don't block).

Paging goes first (issue #29): a process that pages (the callout worker, the engine: they call
`give_precedence`) announces that it waits by holding a second lock file, the intent, and every
other writer, before trying the gate, waits while the intent is held. Without it an event flood's
web workers handed the gate to each other (a thread of the process that just let go is awake
and tries at once, the callout worker polls), and a page job waited seconds per transaction: its
first dial came only after the flood (bench/events.py). A web writer yields for at most the few
paging transactions that wait; the one holding the gate finishes first.

It never makes things worse than SQLite alone: a thread that already holds the gate (a nested
session) passes through to SQLite's own lock, and one that cannot get it within the busy timeout
goes ahead without it and lets SQLite decide, exactly as before.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Self

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class WriteGate:
    def __init__(self, lock_path: Path, timeout: float):
        self.lock_path, self.timeout = lock_path, timeout
        self._threads = threading.Lock()  # not an RLock: a connection may be closed by another thread
        self._owner: int | None = None  # the thread holding it, which may re-enter (a nested session)
        self._depth = 0
        self._fd: int | None = None
        self._intent_fd: int | None = None
        self._pid = 0

    def enter(self) -> bool:
        """True when this caller holds the gate and must `leave` it."""
        me = threading.get_ident()
        if self._owner == me:
            self._depth += 1
            return True
        deadline = time.monotonic() + self.timeout
        if not self._threads.acquire(timeout=self.timeout):
            return False
        if not self._lock_file(deadline):
            self._threads.release()
            return False
        self._owner, self._depth = me, 1
        return True

    def leave(self) -> None:
        self._depth -= 1
        if self._depth == 0:
            self._owner = None
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            self._threads.release()

    def _lock_file(self, deadline: float) -> bool:
        if self._pid != os.getpid():  # a forked child must not share its parent's open files (and locks)
            flags = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC
            self._fd, self._pid = os.open(self.lock_path, flags, 0o600), os.getpid()
            self._intent_fd = os.open(self.lock_path.with_name(self.lock_path.name + ".intent"), flags, 0o600)
        fd, intent = self._fd, self._intent_fd
        assert fd is not None and intent is not None  # opened above, the first time in this process
        urgent = _precedence
        if urgent and not _poll(intent, fcntl.LOCK_EX, deadline):
            urgent = False  # another paging writer held the intent all along: try the gate as anyone would
        try:
            pause = 0.0001
            while True:
                if urgent or _free(intent):
                    try:
                        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        return True
                    except BlockingIOError:
                        pass
                if time.monotonic() >= deadline:
                    return False
                time.sleep(pause)  # another process writes: at most 0.5 ms late, never SQLite's 100 ms
                pause = min(pause * 2, 0.0005)
        finally:
            if urgent:
                fcntl.flock(intent, fcntl.LOCK_UN)


_precedence = False


PRECEDENCE_ENV = "HOTLINE_PAGING_PRECEDENCE"  # "0": none, the benches' before (bench/events.py --before)


def give_precedence() -> None:
    """This process pages: its writes pass the gate before any other process's waiting writes."""
    global _precedence
    _precedence = os.environ.get(PRECEDENCE_ENV) != "0"


def _free(intent: int) -> bool:
    """No paging writer waits (the intent is not held)."""
    try:
        fcntl.flock(intent, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    fcntl.flock(intent, fcntl.LOCK_UN)
    return True


def _poll(fd: int, how: int, deadline: float) -> bool:
    pause = 0.0001
    while True:
        try:
            fcntl.flock(fd, how | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(pause)
            pause = min(pause * 2, 0.0005)


_GATES: dict[Path, WriteGate] = {}
_GATES_LOCK = threading.Lock()


def gate_for(lock_path: Path, timeout: float) -> WriteGate:
    """One gate per lock file in a process, however many engines open the database: a thread
    writing through one engine then another meets its own gate, not a wait on itself."""
    with _GATES_LOCK:
        return _GATES.setdefault(lock_path.resolve(), WriteGate(lock_path, timeout))


def _then_leave(end: Any) -> Any:
    """A transaction-ending method that gives the gate back however it ends."""
    def method(self: Any) -> None:
        try:
            end(self)
        finally:
            self._after()
    return method


def connection_factory(gate: WriteGate) -> type[sqlite3.Connection]:
    """A sqlite3.Connection class (for `sqlite3.connect(factory=...)`) whose writes pass the gate."""

    class GatedCursor(sqlite3.Cursor):
        def execute(self, sql: str, parameters: Any = (), /) -> Self:
            self.connection._before(sql)  # type: ignore[attr-defined]  # a GatedConnection's (below)
            return super().execute(sql, parameters)

        def executemany(self, sql: str, seq_of_parameters: Any, /) -> Self:
            self.connection._before(sql)  # type: ignore[attr-defined]  # a GatedConnection's (below)
            return super().executemany(sql, seq_of_parameters)

    class GatedConnection(sqlite3.Connection):
        _holds = False

        def cursor(self, factory: Any = GatedCursor) -> Any:
            return super().cursor(factory)

        def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:  # the C one skips cursor()
            cursor: sqlite3.Cursor = self.cursor()
            return cursor.execute(sql, parameters)

        def executemany(self, sql: str, seq_of_parameters: Any, /) -> sqlite3.Cursor:
            cursor: sqlite3.Cursor = self.cursor()
            return cursor.executemany(sql, seq_of_parameters)

        def _before(self, sql: str) -> None:
            if not self._holds and not self.in_transaction and sql.lstrip()[:7].upper().startswith(WRITES):
                self._holds = gate.enter()

        def _after(self) -> None:
            if self._holds:
                self._holds = False
                gate.leave()

        commit = _then_leave(sqlite3.Connection.commit)
        rollback = _then_leave(sqlite3.Connection.rollback)
        close = _then_leave(sqlite3.Connection.close)

        def __del__(self) -> None:  # dropped without a close: the gate must not stay taken
            self._after()

    return GatedConnection
