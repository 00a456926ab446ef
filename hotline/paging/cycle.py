"""The convergence cycle: drive every open incident toward the state the database says it should
be in, so that no single lost event (a webhook, a job, a worker, Redis) leaves work undone.

Modelled on GoAlert's engine cycle: the database holds the desired state, and a short periodic
pass finds whatever should have happened and hasn't:
- an incident whose paging is due (`page_due_at`) but that no callout pages: open or join one;
- a callout whose next step is overdue (its wake-up job was lost): drive it;
- a callout none of whose incidents needs it: end it and stop its calls;
- an accepted callout whose close-out (end the other calls, send the SMS) never finished;
- incidents whose status disagrees with their callout;
- a recording Twilio holds that was never fetched, or whose fetch failed a while ago;
- a stored recording with no transcript;
- once a day, recordings and transcripts past their retention (`hotline.retention.purge`).
- a crisis team member who is due a (repeated) notification call, or a deputy to call in;
- an overdue crisis checklist step whose owner was not reminded lately.
- drills: a surprise to plan or start (deferred while a real incident is open), a scripted report
  due, a drill that is done or past its time limit (`hotline.drills.commands.tick`).
Events (webhooks and the jobs they queue) only make these happen sooner. The cycle calls the
lifecycle's commands and the engines directly, not through the queue, so paging goes on while
Redis is down. A lease in the database lets it run on several nodes at once: one pass at a time
does the work, the others skip; every step is idempotent besides.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline.base.log_context import about
from hotline.base.models import Incident, Lease, Recording, Transcript, utcnow
from hotline.base.runtime import get_runtime
from hotline.base.states import CalloutState, IncidentStatus, RecordingStatus
from hotline.crisis import notify, reminders
from hotline.drills import commands as drills
from hotline.paging import commands, jobs
from hotline.paging.callout import closeout, drive
from hotline.paging.followups import Drive, Fetch
from hotline.paging.models import Callout, callout_incidents
from hotline.retention import purge as retention

log = logging.getLogger("hotline.converge")
LEASE = "converge"
LEASE_SECONDS = 30  # a holder that died mid-pass blocks the others no longer than this
BATCH = 500  # per kind of work per pass; the next pass takes the rest
FETCH_GRACE = timedelta(seconds=20)  # a fresh recording is the webhook's job first
FETCH_RETRY = timedelta(minutes=2)  # a pending fetch with no progress for this long is queued again
FAILED_FETCH_RETRY = timedelta(minutes=15)  # a failed fetch is tried again this often ...
FAILED_FETCH_WINDOW = timedelta(hours=24)  # ... while Twilio still holds the file
TRANSCRIBE_GRACE = timedelta(seconds=60)
CLOSE_OUT_GRACE = timedelta(seconds=30)  # the close-out job normally runs at once
IDLE_GRACE = timedelta(seconds=10)  # a callout never driven at all (no wake time) after this


@dataclass
class CycleReport:
    skipped: bool = False
    paged: list[int] = field(default_factory=list)
    driven: list[int] = field(default_factory=list)
    released: list[int] = field(default_factory=list)
    closed_out: list[int] = field(default_factory=list)
    synced: list[int] = field(default_factory=list)
    fetches: list[int] = field(default_factory=list)
    transcriptions: list[int] = field(default_factory=list)
    purged: list[int] = field(default_factory=list)  # incidents whose recordings/transcripts retention deleted
    crisis_calls: list[int] = field(default_factory=list)  # crisis team members called
    crisis_reminders: list[int] = field(default_factory=list)  # overdue checklist steps re-notified
    drills: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return any((self.paged, self.driven, self.released, self.closed_out, self.synced, self.fetches,
                    self.transcriptions, self.purged, self.crisis_calls, self.crisis_reminders,
                    self.drills))


def holder_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def take_lease(s: Session, name: str, holder: str, now: datetime, seconds: int = LEASE_SECONDS) -> bool:
    """True if `holder` now holds the lease; a lease whose holder died expires by itself. A holder
    renews only when half its lease has run, so an idle engine writes rarely."""
    expires = now + timedelta(seconds=seconds)
    held = s.scalar(select(Lease).where(Lease.name == name))
    if held is not None and held.holder == holder and held.expires_at > now + timedelta(seconds=seconds / 2):
        return True
    moved = s.execute(update(Lease).where(Lease.name == name, (Lease.expires_at < now) | (Lease.holder == holder))
                      .values(holder=holder, expires_at=expires)).rowcount
    if moved:
        return True
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
    report = CycleReport()
    try:
        for step in (lambda: _page_due_incidents(now, report),
                     lambda: _drive_overdue_callouts(now, report, every_active),
                     lambda: _release_unneeded_callouts(now, report), lambda: _finish_close_outs(now, report),
                     lambda: _sync_statuses(report), lambda: _recordings(now, report),
                     lambda: _retention(now, report),
                     lambda: report.crisis_calls.extend(notify.notify_due(now)),
                     lambda: report.crisis_reminders.extend(reminders.remind_overdue(now)),

                     lambda: report.drills.extend(drills.tick(now, get_runtime().config))):
            _guarded(step)
    finally:
        if exclusive and report:  # a pass that did work lets another node take over at once if it must
            with db.session() as s:
                s.execute(update(Lease).where(Lease.name == LEASE, Lease.holder == holder).values(expires_at=now))
    if report:
        log.info("convergence: %s", {k: v for k, v in report.__dict__.items() if v and k != "skipped"})
    return report


def _guarded(step: Callable[[], object]) -> bool:
    """One failing item or step is logged and left for the next pass; the others still run."""
    try:
        step()
    except Exception:  # noqa: BLE001 - the cycle is the safety net: it must outlive any one failure
        log.exception("convergence step failed; the next pass tries again")
        return False
    return True


def _page_due_incidents(now: datetime, report: CycleReport) -> None:
    paged = exists().where(callout_incidents.c.incident_id == Incident.id, callout_incidents.c.active)
    with get_runtime().db.session() as s:
        due = list(s.scalars(select(Incident.id).where(
            Incident.status.in_(IncidentStatus.NEEDS_PAGING), Incident.page_due_at <= now, ~paged)
            .order_by(Incident.page_due_at).limit(BATCH)))
    for incident_id in due:
        with about(incident_id):
            _guarded(lambda i=incident_id: _page(i, now, report))


def _page(incident_id: int, now: datetime, report: CycleReport) -> None:
    with get_runtime().db.session() as s:
        out = commands.page(s, incident_id, drive.settings(), now)
    report.paged.append(incident_id)
    for followup in out.then:
        if isinstance(followup, Drive):
            report.driven.append(followup.callout_id)
            jobs.drive_callout(followup.callout_id, now.isoformat())


def _drive_overdue_callouts(now: datetime, report: CycleReport, every_active: bool) -> None:
    with get_runtime().db.session() as s:
        q = select(Callout.id).where(Callout.state.in_(CalloutState.ACTIVE))
        if not every_active:
            q = q.where((Callout.next_wake_at <= now)
                        | (Callout.next_wake_at.is_(None) & (Callout.updated_at <= now - IDLE_GRACE)))
        overdue = [c for c in s.scalars(q.order_by(Callout.id).limit(BATCH)) if c not in report.driven]
    for callout_id in overdue:
        report.driven.append(callout_id)
        _guarded(lambda c=callout_id: jobs.drive_callout(c, now.isoformat()))


def _release_unneeded_callouts(now: datetime, report: CycleReport) -> None:
    linked = exists().where(callout_incidents.c.callout_id == Callout.id, callout_incidents.c.active)
    with get_runtime().db.session() as s:
        unneeded = list(s.scalars(select(Callout.id).where(Callout.state.in_(CalloutState.ACTIVE), ~linked)
                                  .limit(BATCH)))
    for callout_id in unneeded:
        with get_runtime().db.session() as s:
            then = commands.release_callout(s, callout_id, "no incident needs it", commands.SYSTEM, now)
        if then:
            jobs.stop_calls(callout_id)
            report.released.append(callout_id)


def _finish_close_outs(now: datetime, report: CycleReport) -> None:
    with get_runtime().db.session() as s:
        pending = list(s.scalars(select(Callout.id).where(
            Callout.state == CalloutState.ACCEPTED, Callout.closed_out_at.is_(None),
            Callout.accepted_at <= now - CLOSE_OUT_GRACE).limit(BATCH)))
    for callout_id in pending:
        if _guarded(lambda c=callout_id: closeout.after_accept(c)):
            report.closed_out.append(callout_id)


def _sync_statuses(report: CycleReport) -> None:
    """Incidents behind their callout: e.g. accepted through a path that died before syncing."""
    expected = {CalloutState.ACCEPTED: (IncidentStatus.ACCEPTED, IncidentStatus.CLOSED),
                CalloutState.UNACKNOWLEDGED: (IncidentStatus.UNACKNOWLEDGED,),
                CalloutState.DIALING: (IncidentStatus.PAGING,)}
    with get_runtime().db.session() as s:
        stale: set[int] = set()
        for state, fine in expected.items():
            stale.update(s.scalars(
                select(Callout.id).join(callout_incidents, callout_incidents.c.callout_id == Callout.id)
                .join(Incident, Incident.id == callout_incidents.c.incident_id)
                .where(Callout.state == state, callout_incidents.c.active, Incident.status.not_in(fine))
                .distinct().limit(BATCH)))
        for callout_id in sorted(stale):
            commands.sync_callout(s, callout_id)
    report.synced.extend(sorted(stale))


def _recordings(now: datetime, report: CycleReport) -> None:
    transcribed = exists().where(Transcript.recording_id == Recording.id)
    with get_runtime().db.session() as s:
        fetch = list(s.scalars(select(Recording.id).where(
            Recording.source_url.is_not(None),
            ((Recording.status == RecordingStatus.PENDING) & (Recording.created_at <= now - FETCH_GRACE)
             & (Recording.last_try_at.is_(None) | (Recording.last_try_at <= now - FETCH_RETRY)))
            | ((Recording.status == RecordingStatus.FAILED) & (Recording.created_at >= now - FAILED_FETCH_WINDOW)
               & (Recording.last_try_at <= now - FAILED_FETCH_RETRY)
               & (Recording.error.is_(None) | ~Recording.error.startswith("refused"))))
            .limit(BATCH)))
        untranscribed = list(s.scalars(select(Recording.id).where(
            Recording.status == RecordingStatus.STORED, Recording.kind.in_(("report", "update")),
            Recording.stored_at <= now - TRANSCRIBE_GRACE, ~transcribed).limit(BATCH)))
    jobs.dispatch(Fetch(r) for r in fetch)
    report.fetches.extend(fetch)
    for recording_id in untranscribed:
        jobs.run(commands.recording_stored, recording_id)
    report.transcriptions.extend(untranscribed)


def _retention(now: datetime, report: CycleReport) -> None:
    purged = retention.run_daily(now)
    if purged is not None:
        report.purged.extend(purged.incidents)
