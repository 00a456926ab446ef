"""Paging's steps of the convergence cycle (`hotline.base.cycle` runs them, first of all):

- a snoozed incident whose snooze has run out (stopped, `page_due_at` come): paging again;
- an incident whose paging is due (`page_due_at`) but that no callout pages: open or join one;
- a callout whose next step is overdue (its wake-up job was lost): drive it;
- calls waiting out a Twilio failure: probe with the longest-waiting one each pass, and once
  Twilio takes it, release the others at once rather than at their retry times;
- a callout none of whose incidents needs it: end it and stop its calls;
- an accepted callout whose close-out (end the other calls, send the SMS) never finished;
- a cancelled callout whose calls were never stopped (its stop-calls job was lost);
- incidents whose status disagrees with their callout;
- a recording Twilio holds that was never fetched, or whose fetch failed a while ago;
- a stored recording with no transcript.

Nothing here waits on Twilio: a callout's drive (which places calls) and the probe are queued
for the callout workers (`converge_callout`, `probe_provider`, one waiting job per callout and
one probe at a time), so one slow request never holds up the other due incidents. A pass drives
a callout itself only as the safety net: when the job cannot be queued (Redis down: the rest of
the pass then does its work itself) or when the callout is still overdue `DRIVE_GRACE` after it
fell due (queued, but no worker ran it: the workers are down or stuck), so paging never stops
with Redis or the workers gone.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import exists, select

from hotline.base import jobs
from hotline.base.cycle import CycleReport, guarded
from hotline.base.lifecycle import SYSTEM
from hotline.base.log_context import about
from hotline.base.models import Incident, Recording, Transcript
from hotline.base.registry import CycleStep
from hotline.base.runtime import get_runtime
from hotline.base.states import (
    CALLOUT_ACTIVE,
    NEEDS_PAGING,
    CalloutState,
    IncidentStatus,
    RecordingStatus,
)
from hotline.paging import commands
from hotline.paging.callout import closeout, drive
from hotline.paging.followups import Drive, Fetch
from hotline.paging.jobs import converge_callout, drive_callout, probe_provider, stop_calls
from hotline.paging.models import Callout, callout_incidents

BATCH = 500  # per kind of work per pass; the next pass takes the rest
FETCH_GRACE = timedelta(seconds=20)  # a fresh recording is the webhook's job first
FETCH_RETRY = timedelta(minutes=2)  # a pending fetch with no progress for this long is queued again
FAILED_FETCH_RETRY = timedelta(minutes=15)  # a failed fetch is tried again this often ...
FAILED_FETCH_WINDOW = timedelta(hours=24)  # ... while Twilio still holds the file
TRANSCRIBE_GRACE = timedelta(seconds=60)
CLOSE_OUT_GRACE = timedelta(seconds=30)  # the close-out job normally runs at once
STOP_GRACE = timedelta(seconds=10)  # so does the stop-calls job
STOP_WINDOW = timedelta(hours=1)  # older cancelled callouts (before closed_out_at was kept for them) are left
IDLE_GRACE = timedelta(seconds=10)  # a callout never driven at all (no wake time) after this
# A callout still overdue this long after it fell due was queued (by the first pass that saw it)
# and not run: the pass drives it itself. Well above a healthy queue's delay (milliseconds; a few
# seconds in a storm), well below a ring timeout.
DRIVE_GRACE = timedelta(seconds=15)


def _end_snoozes(now: datetime, report: CycleReport) -> None:
    """Before paging's step, so a snooze that ran out is paged in the same pass."""
    with get_runtime().db.session() as s:
        due = list(s.scalars(select(Incident.id).where(
            Incident.status == IncidentStatus.STOPPED, Incident.page_due_at <= now)
            .order_by(Incident.page_due_at).limit(BATCH)))
    for incident_id in due:
        with about(incident_id):
            guarded(partial(_end_snooze, incident_id, now, report))


def _end_snooze(incident_id: int, now: datetime, report: CycleReport) -> None:
    with get_runtime().db.session() as s:
        out = commands.snooze_ended(s, incident_id, now)
    if out.ok:
        report["unsnoozed"].append(incident_id)


def _page_due_incidents(now: datetime, report: CycleReport) -> None:
    paged = exists().where(callout_incidents.c.incident_id == Incident.id, callout_incidents.c.active)
    with get_runtime().db.session() as s:
        due = list(s.scalars(select(Incident.id).where(
            Incident.status.in_(NEEDS_PAGING), Incident.page_due_at <= now, ~paged)
            .order_by(Incident.page_due_at).limit(BATCH)))
    for incident_id in due:
        with about(incident_id):
            guarded(partial(_page, incident_id, now, report))


def _page(incident_id: int, now: datetime, report: CycleReport) -> None:
    with get_runtime().db.session() as s:
        out = commands.page(s, incident_id, drive.settings(), now)
    report["paged"].append(incident_id)
    for followup in out.then:
        if isinstance(followup, Drive):
            _drive(followup.callout_id, now, report)


def _drive_overdue_callouts(now: datetime, report: CycleReport) -> None:
    with get_runtime().db.session() as s:
        q = select(Callout.id, Callout.next_wake_at, Callout.updated_at).where(Callout.state.in_(CALLOUT_ACTIVE))
        if not report.every_active:
            q = q.where((Callout.next_wake_at <= now)
                        | (Callout.next_wake_at.is_(None) & (Callout.updated_at <= now - IDLE_GRACE)))
        rows = s.execute(q.order_by(Callout.id).limit(BATCH)).all()
    seen = set(report["queued"]) | set(report["driven"])
    for row in rows:
        if row.id not in seen:
            fell_due = row.next_wake_at if row.next_wake_at is not None else row.updated_at + IDLE_GRACE
            _drive(row.id, now, report, late=fell_due <= now - DRIVE_GRACE)


def _drive(callout_id: int, now: datetime, report: CycleReport, late: bool = False) -> None:
    """Queue the callout's drive for a worker (`report["queued"]`); drive it in this pass
    (`report["driven"]`) when it is `late` or cannot be queued."""
    if not late and _queue(report, converge_callout, callout_id, now.isoformat()):
        report["queued"].append(callout_id)
        return
    report["driven"].append(callout_id)
    if report.hold():
        guarded(partial(drive_callout, callout_id, now.isoformat()))


def _queue(report: CycleReport, fn: Callable[..., Any], *args: Any) -> bool:
    """Once one enqueue of the pass has failed, the rest of it does not try (each try may wait on
    a dead Redis's connection)."""
    if not report.queue_down:
        report.queue_down = not jobs.queued(fn, *args)
    return not report.queue_down


def _probe_provider(now: datetime, report: CycleReport) -> None:
    """While people wait out a Twilio failure, one Calls.create per pass (the cycle's period), in a
    worker (`probe_provider`: one queued at a time); here when it cannot be queued."""
    with get_runtime().db.session() as s:
        if not drive.waiting_out_failure(s, now):
            return
    if _queue(report, probe_provider, now.isoformat()):
        report["probe_queued"].append(now)
        return
    if not report.hold():
        return
    released = drive.probe_waiting(now)
    if released is None:
        return
    report["probed"].append(now)
    for callout_id in released:
        report["driven"].append(callout_id)
        guarded(partial(drive_callout, callout_id, now.isoformat()))


def _release_unneeded_callouts(now: datetime, report: CycleReport) -> None:
    linked = exists().where(callout_incidents.c.callout_id == Callout.id, callout_incidents.c.active)
    with get_runtime().db.session() as s:
        unneeded = list(s.scalars(select(Callout.id).where(Callout.state.in_(CALLOUT_ACTIVE), ~linked)
                                  .limit(BATCH)))
    for callout_id in unneeded:
        with get_runtime().db.session() as s:
            then = commands.release_callout(s, callout_id, "no incident needs it", SYSTEM, now)
        if then:
            stop_calls(callout_id)
            report["released"].append(callout_id)


def _finish_close_outs(now: datetime, report: CycleReport) -> None:
    with get_runtime().db.session() as s:
        pending = list(s.scalars(select(Callout.id).where(
            Callout.state == CalloutState.ACCEPTED, Callout.closed_out_at.is_(None),
            Callout.accepted_at <= now - CLOSE_OUT_GRACE).limit(BATCH)))
    for callout_id in pending:
        if guarded(partial(closeout.after_accept, callout_id)):
            report["closed_out"].append(callout_id)


def _finish_stops(now: datetime, report: CycleReport) -> None:
    with get_runtime().db.session() as s:
        pending = list(s.scalars(select(Callout.id).where(
            Callout.state == CalloutState.CANCELLED, Callout.closed_out_at.is_(None),
            Callout.cancelled_at <= now - STOP_GRACE, Callout.cancelled_at >= now - STOP_WINDOW).limit(BATCH)))
    for callout_id in pending:
        if guarded(partial(stop_calls, callout_id)):
            report["calls_stopped"].append(callout_id)


def _sync_statuses(now: datetime, report: CycleReport) -> None:
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
    report["synced"].extend(sorted(stale))


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
    if fetch and not report.queue_down:  # with no queue, Twilio keeps the recordings until a later pass
        report.queue_down = not jobs.dispatch(Fetch(r) for r in fetch)
        report["fetches"].extend(fetch)
    for recording_id in untranscribed:
        jobs.run(commands.recording_stored, recording_id)
    report["transcriptions"].extend(untranscribed)


STEPS = (
    CycleStep("unsnoozed", 9, _end_snoozes),
    CycleStep("paged", 10, _page_due_incidents),
    CycleStep("driven", 11, _drive_overdue_callouts),
    CycleStep("probed", 11, _probe_provider),
    CycleStep("released", 12, _release_unneeded_callouts),
    CycleStep("closed_out", 13, _finish_close_outs),
    CycleStep("calls_stopped", 16, _finish_stops),
    CycleStep("synced", 14, _sync_statuses),
    CycleStep("recordings", 15, _recordings),
)
