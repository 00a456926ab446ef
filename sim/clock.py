"""Real or virtual time for the simulator.

Every blocking wait in a call (ringing, Gather/Record timeouts, Pause) goes through
`Clock.wait_until`, so the same code runs against wall-clock time for people and drills
and against a virtual clock that tests move with `advance()` without sleeping.

Virtual time is a small discrete-event scheduler: the clock counts worker threads that
are *busy* (not parked in `wait_until`). `advance()` steps from deadline to deadline and
after each step waits until every worker has parked again, so after it returns the
effects of the elapsed time (timeouts fired, webhooks posted, next verbs reached) have
happened. Waiters are *fired* (counted busy again) by whoever wakes them — the clock, or
`kick(owner)` after an input such as a key press — so there is no window in which a woken
thread looks idle.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

VIRTUAL_EPOCH = 1_767_225_600.0  # 2026-01-01T00:00:00Z: fixed start so virtual logs are reproducible
_POLL = 0.25  # real seconds between predicate re-checks; a safety net, not the wake-up mechanism
SETTLE_TIMEOUT = 30.0  # real seconds advance() waits for workers to park before giving up


class ClockError(RuntimeError):
    """Raised for misuse, e.g. advancing a real clock."""


@dataclass(eq=False)
class _Waiter:
    deadline: float | None
    owner: str | None
    fired: bool = field(default=False)


class Clock:
    """Time source plus the condition variable that every simulator state change notifies."""

    def __init__(self, cond: threading.Condition, virtual: bool = True, start: float | None = None) -> None:
        self.cond = cond
        self.virtual = virtual
        self._now = VIRTUAL_EPOCH if start is None else start
        self._waiters: set[_Waiter] = set()
        self._busy = 0

    # -- time -------------------------------------------------------------------------
    def now(self) -> float:
        return self._now if self.virtual else time.time()

    # -- worker accounting --------------------------------------------------------------
    def worker_started(self) -> None:
        """Count a worker as busy; call under `cond` before starting its thread."""
        self._busy += 1

    def worker_finished(self) -> None:
        with self.cond:
            self._busy -= 1
            self.cond.notify_all()

    # -- waiting ------------------------------------------------------------------------
    def wait_until(
        self, deadline: float | None, predicate: Callable[[], bool], owner: str | None = None
    ) -> bool:
        """Park until `predicate()` holds or the clock reaches `deadline`. Caller holds `cond`.

        Returns True if the predicate became true, False on deadline. `predicate` must be free
        of side effects: it is evaluated any number of times.
        """
        while True:
            if predicate():
                return True
            if deadline is not None and self.now() >= deadline:
                return False
            waiter = _Waiter(deadline, owner)
            self._waiters.add(waiter)
            self._busy -= 1
            self.cond.notify_all()
            try:
                while not waiter.fired:
                    timeout = _POLL
                    if not self.virtual and deadline is not None:
                        timeout = min(_POLL, max(0.0, deadline - time.time()))
                    self.cond.wait(timeout)
                    if predicate():
                        return True
                    if deadline is not None and self.now() >= deadline:
                        return False
            finally:
                self._waiters.discard(waiter)
                if not waiter.fired:
                    self._busy += 1

    def kick(self, owner: str) -> None:
        """Wake the waiters of `owner` (a call SID) after a change they may care about."""
        for waiter in list(self._waiters):
            if waiter.owner == owner and not waiter.fired:
                waiter.fired = True
                self._busy += 1
        self.cond.notify_all()

    # -- virtual time -------------------------------------------------------------------
    def advance(self, seconds: float) -> None:
        """Move virtual time forward, firing every deadline on the way in order."""
        if not self.virtual:
            raise ClockError("advance() needs a virtual clock; this simulator runs in real time")
        if seconds < 0:
            raise ClockError("cannot move time backwards")
        with self.cond:
            target = self._now + seconds
            self._settle()
            while True:
                due = [w.deadline for w in self._waiters if w.deadline is not None and w.deadline <= target]
                step = min(due) if due else target
                self._now = max(self._now, step)
                for waiter in list(self._waiters):
                    if waiter.deadline is not None and waiter.deadline <= self._now and not waiter.fired:
                        waiter.fired = True
                        self._busy += 1
                self.cond.notify_all()
                self._settle()
                if not due:
                    break

    def settle(self) -> None:
        """Wait (real time, bounded) until every worker is parked or finished."""
        with self.cond:
            self._settle()

    def _settle(self) -> None:
        end = time.monotonic() + SETTLE_TIMEOUT
        while self._busy > 0:
            left = end - time.monotonic()
            if left <= 0:
                raise ClockError(f"{self._busy} call worker(s) still busy after {SETTLE_TIMEOUT:.0f}s")
            self.cond.wait(min(left, _POLL))

    @property
    def busy_workers(self) -> int:
        return self._busy
