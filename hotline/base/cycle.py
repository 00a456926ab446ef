"""The convergence cycle: drive everything toward the state the database says it should be in,
so that no single lost event (a webhook, a job, a worker, Redis) leaves work undone.

Modelled on GoAlert's engine cycle: the database holds the desired state, and a short periodic
pass finds whatever should have happened and hasn't. The steps are the features' own
(`CycleStep`s in each `feature.py`, run in their order: paging's first); this module only runs
them, each guarded so one failing step or item is logged and left for the next pass while the
others still run. Events (webhooks and the jobs they queue) only make the same work happen
sooner. Steps call commands and engines directly, not through the queue, so paging goes on while
Redis is down. A lease in the database lets the cycle run on several nodes at once: one pass at
a time does the work, the others skip; every step is idempotent besides.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline.base.models import Lease, utcnow
from hotline.base.registry import registry
from hotline.base.runtime import get_runtime

log = logging.getLogger("hotline.converge")
LEASE = "converge"
LEASE_SECONDS = 30  # a holder that died mid-pass blocks the others no longer than this


@dataclass
class CycleReport:
    """What one pass did, per step (`report["paged"]`: the incidents it paged)."""

    skipped: bool = False  # another node holds the lease
    every_active: bool = False  # also drive callouts that are not overdue (a worker's start-up)
    done: dict[str, list[Any]] = field(default_factory=dict)

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


def run_cycle(now: datetime | None = None, *, every_active: bool = False, exclusive: bool = True) -> CycleReport:
    """One pass. `every_active` also drives callouts that are not overdue (a worker's start-up,
    after which their watchdog wake-ups exist again even if Redis lost them). `exclusive=False`
    runs without the lease: every step is idempotent, the lease only saves duplicated work, and
    a worker that starts after a crash must not wait for a dead holder's lease to expire."""
    db, holder = get_runtime().db, holder_name()
    now = now or utcnow()
    if exclusive:
        with db.session() as s:
            if not take_lease(s, LEASE, holder, now):
                return CycleReport(skipped=True)
    report = CycleReport(every_active=every_active)
    try:
        for step in registry().cycle:
            guarded(partial(step.run, now, report))
    finally:
        if exclusive and report:  # a pass that did work lets another node take over at once if it must
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
