"""Reconciling with the provider: what Twilio holds that no callback told us (first law).

Twilio reports a recording, and the end of a call, once, by callback, and does not send it again
when no node answered: during a restart, an outage, or while the number's TwiML Bin took the
calls. Every `EVERY` the convergence cycle (this step, after paging's own) asks Twilio instead:

- **calls**: every caller's call still open in our database is looked up in Twilio's call list;
  one that ended there is ended here through the same command as its status callback
  (`commands.call_ended`), so paging starts within seconds, not when the report grace runs out;
- **recordings**: Twilio's recordings created since the last look (newest first, bounded) are
  compared with ours. A recording of a caller's call is attached to its incident and fetched,
  transcribed and played to the responder as if its callback had come
  (`commands.recording_arrived`). A recording of an inbound call to one of our numbers that we
  know nothing of (the Bin took it while every node was down) is filed through the fallback's
  own command (`commands.take_message`) with the caller's number from Twilio, then attached: it is
  fetched, transcribed and paged. Recordings of the other calls on our numbers (operators',
  staff's and admins' calls, outbound calls) are not reports and are left alone.

Bounded: one listing of each kind per pass and at most `MAX_RECORDINGS` recordings (a longer
backlog is walked backwards over the next passes). A process's first look reaches back
`LOOKBACK`, and then each look overlaps the previous one by the longest recording plus a
margin, because Twilio dates a recording by its start. Everything here is idempotent on
Twilio's SIDs, so several nodes, or a look that repeats, change nothing twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.base import jobs
from hotline.base.config import Config
from hotline.base.cycle import CycleReport, guarded
from hotline.base.log_context import about
from hotline.base.models import Call, Incident, Recording
from hotline.base.phone import to_e164
from hotline.base.registry import CycleStep
from hotline.base.runtime import get_runtime
from hotline.paging import commands
from hotline.paging.incidents import FINAL_CALL_STATUSES
from hotline.provider import ledger
from hotline.provider.dialer import DialerError

log = logging.getLogger("hotline.reconcile")
EVERY = timedelta(seconds=10)  # Twilio's list endpoints, asked this often at most
LOOKBACK = timedelta(hours=24)  # a process's first look: an outage up to this long is covered
MARGIN = timedelta(minutes=2)  # clock skew between Twilio and us, and callbacks on their way
MAX_RECORDINGS = 1000  # per pass; a longer backlog is walked over the next passes
MAX_CALLS = 1000  # calls listed per pass
MAX_CALL_LOOKUPS = 50  # open calls missing from the list, asked for one by one, per pass


@dataclass
class _Window:
    """Where this process's looks at Twilio stand (per database and account)."""

    next_at: datetime | None = None
    since: datetime | None = None  # the next look starts here (None: LOOKBACK ago)
    before: datetime | None = None  # walking a backlog: its newest part is done down to here
    opened: datetime | None = None  # when the window being walked was first looked at
    not_ours: dict[str, datetime] = field(default_factory=dict)  # RecordingSid -> when we decided


_windows: dict[tuple[str, str, str], _Window] = {}


def _window(cfg: Config) -> _Window:
    key = (cfg.database_url, cfg.twilio.api_origin, cfg.twilio.account_sid or "")
    return _windows.setdefault(key, _Window())


def reconcile(now: datetime, report: CycleReport) -> None:
    """The cycle step: at most every EVERY, calls then recordings. A worker's start-up pass
    (`every_active`) leaves it to the engine's passes."""
    cfg = get_runtime().config
    if report.every_active or not cfg.twilio.configured:
        return
    w = _window(cfg)
    if w.next_at is not None and now < w.next_at:
        return
    w.next_at = now + EVERY
    try:
        guarded(lambda: _calls(cfg, now, report))
        guarded(lambda: _recordings(cfg, w, now, report))
    except DialerError as exc:  # guarded logs everything else
        log.warning("reconciliation: Twilio did not answer (%s); the next pass asks again", exc.describe())


# --- calls whose end we never heard of ---------------------------------------------------------

def _calls(cfg: Config, now: datetime, report: CycleReport) -> None:
    with get_runtime().db.session() as s:
        open_calls = {sid: created for sid, created in s.execute(
            select(Call.sid, Call.created_at).where(Call.purpose == "report", Call.status.not_in(FINAL_CALL_STATUSES),
                                                    Call.created_at >= now - LOOKBACK)
            .order_by(Call.created_at).limit(MAX_CALLS))}
    if not open_calls:
        return
    try:
        held = ledger.calls(open_calls, min(open_calls.values()) - MARGIN, MAX_CALLS)
    except DialerError as exc:
        log.warning("reconciliation: cannot list calls (%s)", exc.describe())
        return
    for sid in [sid for sid in open_calls if sid not in held][:MAX_CALL_LOOKUPS]:
        found = ledger.call(sid)
        if found is not None:
            held[sid] = found
    for call in held.values():
        if call.status in FINAL_CALL_STATUSES:
            guarded(partial(_end_call, call, report))


def _end_call(call: ledger.HeldCall, report: CycleReport) -> None:
    with get_runtime().db.session() as s:
        out = commands.call_ended(s, call.sid, call.status, call.duration, call.from_number, call.to_number)
    jobs.dispatch(out.then)
    report["calls_ended"].append(call.sid)
    log.info("reconciliation: call %s had ended at Twilio (%s); its status callback was lost", call.sid, call.status)


# --- recordings nobody told us of ----------------------------------------------------------------

def _recordings(cfg: Config, w: _Window, now: datetime, report: CycleReport) -> None:
    since = w.since or now - LOOKBACK
    opened = w.opened or now
    try:
        held = ledger.recordings(cfg, since, w.before, MAX_RECORDINGS + 1)
    except DialerError as exc:
        log.warning("reconciliation: cannot list recordings (%s)", exc.describe())
        return
    backlog = len(held) > MAX_RECORDINGS
    held = held[:MAX_RECORDINGS]
    with get_runtime().db.session() as s:
        ours = set(s.scalars(select(Recording.sid).where(Recording.sid.in_([r.sid for r in held]))))
    unfinished = [r.created for r in held if r.status != "completed"]
    for rec in held:
        if rec.sid in ours or rec.sid in w.not_ours or rec.status != "completed" or not rec.call_sid:
            continue
        guarded(partial(_take, cfg, w, rec, now, report))
    if backlog:  # the newest MAX_RECORDINGS are done: the next pass walks on below them
        w.before, w.opened = held[-1].created, opened
        log.warning("reconciliation: more than %d recordings since %s; walking back over the next passes",
                    MAX_RECORDINGS, since.isoformat())
        return
    overlap = timedelta(seconds=cfg.record_max_seconds) + MARGIN
    w.since = min([opened - overlap, *unfinished])
    w.before = w.opened = None
    w.not_ours = {sid: at for sid, at in w.not_ours.items() if at > now - LOOKBACK}


def _take(cfg: Config, w: _Window, rec: ledger.HeldRecording, now: datetime, report: CycleReport) -> None:
    """One recording Twilio holds and we do not: a caller's, attached; anyone else's, noted as not ours."""
    call_sid = rec.call_sid or ""
    with get_runtime().db.session() as s:
        known = s.scalar(select(Call).where(Call.sid == call_sid))
        purpose, caller_known = (known.purpose, known.from_number) if known else (None, None)
    if purpose not in (None, "report"):
        w.not_ours[rec.sid] = now  # an operator's, staff's or admin's call: not a report
        return
    held_call = ledger.call(call_sid) if known is None or not caller_known else None
    if known is None and not _to_our_number(cfg, held_call):
        w.not_ours[rec.sid] = now  # an outbound call, or a number that is not the hotline's
        return
    with get_runtime().db.session() as s:
        then: list[Any] = []
        incident_id = _incident_id(s, call_sid)
        if incident_id is None or (held_call is not None and not _caller_of(s, incident_id)):
            caller_raw = held_call.from_number if held_call else caller_known
            taken = commands.take_message(s, call_sid=call_sid, caller_raw=caller_raw,
                                          to_raw=held_call.to_number if held_call else None,
                                          caller=to_e164(caller_raw, cfg.default_region), callback=None,
                                          lang=cfg.default_language, record_max_seconds=cfg.record_max_seconds,
                                          now=now)
            then.extend(taken.then)
            incident_id = taken.incident_ids[0]
        with about(incident_id):
            arrived = commands.recording_arrived(s, incident_id=incident_id, sid=rec.sid, url=rec.media_url,
                                                 duration=rec.duration, kind="report", now=now)
        then.extend(arrived.then)
    jobs.dispatch(then)
    report["recordings_found"].append(rec.sid)
    log.info("reconciliation: recording %s of call %s was at Twilio only; attached to incident %s",
             rec.sid, call_sid, incident_id)


def _incident_id(s: Session, call_sid: str) -> int | None:
    return s.scalar(select(Call.incident_id).where(Call.sid == call_sid))


def _caller_of(s: Session, incident_id: int) -> str | None:
    return s.scalar(select(Incident.caller).where(Incident.id == incident_id))


def _to_our_number(cfg: Config, call: ledger.HeldCall | None) -> bool:
    return (call is not None and call.direction == "inbound"
            and to_e164(call.to_number, cfg.default_region) in cfg.numbers)


STEPS = (CycleStep("reconciled", 16, reconcile),)
