"""The convergence cycle: drive everything toward the state the database says it should be in,
so that no single lost event (a webhook, a job, a worker, Redis) leaves work undone.

Modelled on GoAlert's engine cycle: the database holds the desired state, and a short periodic
pass finds whatever should have happened and hasn't. The steps are the features' own
(`CycleStep`s in each `feature.py`, run in their order: paging's first); this module only runs
them, each guarded so one failing step or item is logged and left for the next pass while the
others still run, and each timed (`hotline_cycle_step_seconds{step}`). Events (webhooks and the
jobs they queue) only make the same work happen sooner.

A pass decides and queues: the slow work (placing calls with Twilio) goes to the workers, so
one slow request never delays the other due items of the pass. A step does that work itself
only as the safety net, when it cannot be queued (Redis down) or was queued but no worker ran it
in time (the workers down), so paging goes on with either gone.

A lease in the database lets the cycle run on several nodes at once: one pass at a time does the
work, the others skip; every step is idempotent besides. The pass renews its lease as it goes
(between steps, and before each slow item: `CycleReport.hold`), from its own progress rather than
from a timer, so a long pass is not overtaken midway while a pass stuck in one call stops renewing
and lets another node take over within `LEASE_SECONDS`.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline.base.db import Database
from hotline.base.metrics import CYCLE_STEP_SECONDS
from hotline.base.models import Lease, utcnow
from hotline.base.registry import registry
from hotline.base.runtime import get_runtime

log = logging.getLogger("hotline.converge")
LEASE = "converge"
LEASE_SECONDS = 30  # a holder that died mid-pass blocks the others no longer than this
monotonic = time.monotonic  # the pass's own clock (a test's passes take simulated time)


@dataclass
class CycleReport:
    """What one pass did, per step (`report["paged"]`: the incidents it paged)."""

    skipped: bool = False  # another node holds the lease
    every_active: bool = False  # also drive callouts that are not overdue (a worker's start-up)
    done: dict[str, list[Any]] = field(default_factory=dict)
    queue_down: bool = False  # an enqueue of this pass failed: the rest of it does its work itself
    lease: PassLease | None = field(default=None, repr=False)  # None: a pass run without the lease

    def hold(self) -> bool:
        """Before slow work: False once another node holds the lease (this pass stalled past it),
        and the step should leave the rest to that node; renews the lease when it is due."""
        return self.lease is None or self.lease.hold()

    def __getitem__(self, key: str) -> list[Any]:
        return self.done.setdefault(key, [])

    def __bool__(self) -> bool:
        return any(self.done.values())


def holder_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def take_lease(s: Session, name: str, holder: str, now: datetime, seconds: int = LEASE_SECONDS) -> bool:
    """True if `holder` now holds the lease; a lease whose holder died expires by itself. A holder
    renews only when half its lease has run, so an idle engine writes rarely."""
    expires = now + timedelta(seconds=seconds)
    held = s.scalar(select(Lease).where(Lease.name == name))
    if held is not None and held.holder == holder and held.expires_at > now + timedelta(seconds=seconds / 2):
        return True
    moved = cast(CursorResult[Any], s.execute(
        update(Lease).where(Lease.name == name, (Lease.expires_at < now) | (Lease.holder == holder))
        .values(holder=holder, expires_at=expires))).rowcount
    if moved:
        return True
    if held is not None:  # another holder's lease, still running: inserting it again can only fail
        return False
    try:
        with s.begin_nested():
            s.add(Lease(name=name, holder=holder, expires_at=expires))
            s.flush()
    except IntegrityError:
        return False
    return True


class PassLease:
    """The lease as one pass holds it. Its clock is the pass's `now` plus the time the pass has run
    (a test's pass may be set in the future); it goes to the database only when a quarter of the
    lease has run since it last did, so holding costs a pass of a few milliseconds nothing."""

    def __init__(self, db: Database, holder: str, now: datetime, seconds: int = LEASE_SECONDS):
        self.db, self.holder, self.seconds, self.start, self._t0 = db, holder, seconds, now, monotonic()
        self.lost = False
        self._check_at = 0.0  # seconds into the pass

    def clock(self) -> datetime:
        return self.start + timedelta(seconds=monotonic() - self._t0)

    def hold(self) -> bool:
        if self.lost:
            return False
        elapsed, held_before = monotonic() - self._t0, self._check_at > 0
        if elapsed < self._check_at:
            return True
        with self.db.session() as s:
            held = take_lease(s, LEASE, self.holder, self.clock(), self.seconds)
        # When held, it runs at least half a lease from now (take_lease renews at half): look again at a quarter.
        self._check_at, self.lost = elapsed + self.seconds / 4, not held
        if self.lost and held_before:
            log.warning("convergence lease %s taken by another node during this pass; it does the rest", LEASE)
        return held


def run_cycle(now: datetime | None = None, *, every_active: bool = False, exclusive: bool = True) -> CycleReport:
    """One pass. `every_active` also drives callouts that are not overdue (a worker's start-up,
    after which their watchdog wake-ups exist again even if Redis lost them). `exclusive=False`
    runs without the lease: every step is idempotent, the lease only saves duplicated work, and
    a worker that starts after a crash must not wait for a dead holder's lease to expire."""
    db, holder = get_runtime().db, holder_name()
    now = now or utcnow()
    lease = PassLease(db, holder, now) if exclusive else None
    if lease is not None and not lease.hold():
        return CycleReport(skipped=True)
    report = CycleReport(every_active=every_active, lease=lease)
    try:
        for step in registry().cycle:
            if not report.hold():
                break
            started = monotonic()
            guarded(partial(step.run, now, report))
            CYCLE_STEP_SECONDS.labels(step.name).observe(monotonic() - started)
    finally:
        if lease is not None and report and not lease.lost:  # a pass that did work lets another node take over at once
            with db.session() as s:
                s.execute(update(Lease).where(Lease.name == LEASE, Lease.holder == holder).values(expires_at=now))
    if report:
        log.info("convergence: %s", {k: v for k, v in report.done.items() if v})
    return report


def guarded(step: Callable[[], object]) -> bool:
    """One failing item or step is logged and left for the next pass; the others still run."""
    try:
        step()
    except Exception:  # noqa: BLE001 - the cycle is the safety net: it must outlive any one failure
        log.exception("convergence step failed; the next pass tries again")
        return False
    return True
