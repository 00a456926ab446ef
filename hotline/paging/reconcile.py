"""Reconciling with the provider: what Twilio holds that no callback told us (first law).

Twilio reports a recording, and the end of a call, once, by callback, and does not send it again
when no node answered: during a restart, an outage, or while the number's TwiML Bin took the
calls. Every `EVERY` the convergence cycle (this step, before paging's own) asks Twilio instead:

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
  staff's and admins' calls, outbound calls) are not reports and are left alone;
- **callers**: a message the Bin took is filed by its recording callback, which carries no
  caller number (the Bin is static); Twilio's call has it, and it is put on the incident;
- **missed callers**: a call to one of our numbers that we never heard of and that left no
  recording at all (the Bin answered while every node was down and the caller hung up before
  the beep, or nothing answered) ended like any caller who hung up before choosing: it is ended
  through `commands.call_ended`, which files it as an abandoned call on the console's call-back
  list. A call whose recording Twilio still processes waits for the next look.

Bounded: one listing of each kind per pass and at most `MAX_RECORDINGS` recordings (a longer
backlog is walked backwards over the next passes). Each look overlaps the previous one by the
longest recording plus a margin, because Twilio dates a recording by its start. Where the next
look starts is kept in the database (`ReconcileMark`), so a process's first look reaches back
to where the last process left off, over an outage of any length up to `MAX_LOOKBACK` (a
weekend with the server down: every message the Bin took is filed on Monday); without a mark,
`LOOKBACK`. Everything here is idempotent on
Twilio's SIDs, so several nodes, or a look that repeats, change nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hotline.base import jobs
from hotline.base.config import Config
from hotline.base.cycle import CycleReport
from hotline.base.db import insert_if_absent
from hotline.base.log_context import about
from hotline.base.models import Call, Incident, Recording
from hotline.base.phone import to_e164
from hotline.base.registry import CycleStep
from hotline.base.runtime import get_runtime
from hotline.paging import commands
from hotline.paging.incidents import FINAL_CALL_STATUSES
from hotline.paging.models import ReconcileMark
from hotline.provider import ledger
from hotline.provider.dialer import DialerError

log = logging.getLogger("hotline.reconcile")
MARKS = ReconcileMark.__table__
EVERY = timedelta(seconds=10)  # Twilio's list endpoints, asked this often at most
LOOKBACK = timedelta(hours=24)  # a first look with no mark in the database reaches back this far
MAX_LOOKBACK = timedelta(days=30)  # a mark older than this (a hotline off for months) is not followed
MARGIN = timedelta(minutes=2)  # clock skew between Twilio and us, and callbacks on their way
MAX_RECORDINGS = 1000  # per pass; a longer backlog is walked over the next passes
MAX_CALLS = 1000  # calls listed per pass
MAX_CALL_LOOKUPS = 5  # open calls missing from the list (not started at Twilio), asked for one by one
AFTER_FAILURE = timedelta(minutes=1)  # Twilio did not answer a list: the next look waits this long


@dataclass
class _Window:
    """Where this process's looks at Twilio stand (per database and account)."""

    next_at: datetime | None = None
    since: datetime | None = None  # the next look starts here (None: LOOKBACK ago)
    before: datetime | None = None  # walking a backlog: its newest part is done down to here
    opened: datetime | None = None  # when the window being walked was first looked at
    not_ours: dict[str, datetime] = field(default_factory=dict)  # RecordingSid -> when we decided
    calls_since: datetime | None = None  # the next look for missed callers starts here
    asked: set[int] = field(default_factory=set)  # incidents whose caller Twilio was asked for


_windows: dict[tuple[str, str, str], _Window] = {}


def _window(cfg: Config) -> _Window:
    key = (cfg.database_url, cfg.twilio.api_origin, cfg.twilio.account_sid or "")
    return _windows.setdefault(key, _Window())


def reconcile(now: datetime, report: CycleReport) -> None:
    """The cycle step: at most every EVERY, calls then recordings. A worker's start-up pass
    (`every_active`) leaves it to the engine's passes. Runs before paging's steps, so what it
    makes due is paged in the same pass; a Twilio that does not answer ends the look at its first
    failure and is asked again only after AFTER_FAILURE, so it delays paging's passes little."""
    cfg = get_runtime().config
    if report.every_active or not cfg.twilio.configured:
        return
    w = _window(cfg)
    if w.next_at is not None and now < w.next_at:
        return
    w.next_at = now + EVERY
    try:
        _calls(cfg, now, report)
        recorded = _recordings(cfg, w, now, report)
        _callers(cfg, w, now, report)
        if recorded is not None:
            _missed(cfg, w, now, recorded, report)
    except DialerError as exc:
        w.next_at = now + AFTER_FAILURE
        log.warning("reconciliation: Twilio did not answer (%s); asking again in %d s", exc.describe(),
                    AFTER_FAILURE.total_seconds())


def _each(item: Callable[[], object]) -> None:
    """One failing item is logged and left for the next look; Twilio not answering ends this look."""
    try:
        item()
    except DialerError:
        raise
    except Exception:  # noqa: BLE001 - like the cycle's own guard: the other items still run
        log.exception("reconciliation: one item failed; the next look tries again")


# --- calls whose end we never heard of ---------------------------------------------------------

def _calls(cfg: Config, now: datetime, report: CycleReport) -> None:
    with get_runtime().db.session() as s:
        open_calls = {sid: created for sid, created in s.execute(
            select(Call.sid, Call.created_at).where(Call.purpose == "report", Call.status.not_in(FINAL_CALL_STATUSES),
                                                    Call.created_at >= now - LOOKBACK)
            .order_by(Call.created_at).limit(MAX_CALLS))}
    if not open_calls:
        return
    held = ledger.calls(open_calls, min(open_calls.values()) - MARGIN, MAX_CALLS)
    missing = sorted((sid for sid in open_calls if sid not in held), key=open_calls.__getitem__, reverse=True)
    for sid in missing[:MAX_CALL_LOOKUPS]:  # the newest: their paging is the one still ahead
        found = ledger.call(sid)
        if found is not None:
            held[sid] = found
    for call in held.values():
        if call.status in FINAL_CALL_STATUSES:
            _each(partial(_end_call, call, report))


def _end_call(call: ledger.HeldCall, report: CycleReport) -> None:
    with get_runtime().db.session() as s:
        out = commands.call_ended(s, call.sid, call.status, call.duration, call.from_number, call.to_number)
    jobs.dispatch(out.then)
    report["calls_ended"].append(call.sid)
    log.info("reconciliation: call %s had ended at Twilio (%s); its status callback was lost", call.sid, call.status)


# --- recordings nobody told us of ----------------------------------------------------------------

def _first_look(cfg: Config, kind: str, now: datetime) -> datetime:
    """Where a process's first look of `kind` starts: where the last look (of any process) left off."""
    with get_runtime().db.session() as s:
        mark = s.get(ReconcileMark, _mark_key(cfg, kind))
    if mark is None:
        return now - LOOKBACK
    return max(_aware(mark.since), now - MAX_LOOKBACK)


def _leave_mark(cfg: Config, kind: str, since: datetime) -> None:
    """A look of `kind` is complete: the next one, in this process or the next, starts at `since`."""
    key = _mark_key(cfg, kind)
    with get_runtime().db.session() as s:
        if insert_if_absent(s, MARKS, "key", {"key": key, "since": since}, "key") is None:
            s.execute(update(MARKS).where(MARKS.c.key == key).values(since=since))


def _mark_key(cfg: Config, kind: str) -> str:
    return f"{cfg.twilio.api_origin}|{cfg.twilio.account_sid or ''}|{kind}"


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _recordings(cfg: Config, w: _Window, now: datetime, report: CycleReport) -> set[str] | None:
    """The calls with a recording at Twilio in this look (whatever its status), or None while a
    backlog is walked (the listing is not the whole window then)."""
    since = w.since or _first_look(cfg, "recordings", now)
    opened = w.opened or now
    held = ledger.recordings(cfg, since, w.before, MAX_RECORDINGS + 1)
    backlog = len(held) > MAX_RECORDINGS
    held = held[:MAX_RECORDINGS]
    with get_runtime().db.session() as s:
        ours = set(s.scalars(select(Recording.sid).where(Recording.sid.in_([r.sid for r in held]))))
    unfinished = [r.created for r in held if r.status != "completed"]
    for rec in held:
        if rec.sid in ours or rec.sid in w.not_ours or rec.status != "completed" or not rec.call_sid:
            continue
        _each(partial(_take, cfg, w, rec, now, report))
    if backlog:  # the newest MAX_RECORDINGS are done: the next pass walks on below them
        w.before, w.opened = held[-1].created, opened
        log.warning("reconciliation: more than %d recordings since %s; walking back over the next passes",
                    MAX_RECORDINGS, since.isoformat())
        return None
    overlap = timedelta(seconds=cfg.record_max_seconds) + MARGIN
    w.since = min([opened - overlap, *unfinished])
    _leave_mark(cfg, "recordings", w.since)
    w.before = w.opened = None
    w.not_ours = {sid: at for sid, at in w.not_ours.items() if at > now - LOOKBACK}
    return {r.call_sid for r in held if r.call_sid}


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


def _callers(cfg: Config, w: _Window, now: datetime, report: CycleReport) -> None:
    """Messages filed without the caller's number (the Bin's callback has none): ask Twilio, once."""
    with get_runtime().db.session() as s:
        nameless = [(i, sid) for i, sid in s.execute(
            select(Incident.id, Incident.call_sid).where(Incident.source == "fallback", Incident.caller.is_(None),
                                                         Incident.call_sid.is_not(None),
                                                         Incident.created_at >= now - LOOKBACK)
            .order_by(Incident.id).limit(MAX_CALL_LOOKUPS)) if i not in w.asked]
    for incident_id, call_sid in nameless:
        w.asked.add(incident_id)
        call = ledger.call(call_sid) if call_sid else None
        caller = to_e164(call.from_number, cfg.default_region) if call else None
        if call is None or caller is None:
            continue  # withheld: the Bin asked for no callback number either
        with get_runtime().db.session() as s:
            out = commands.take_message(s, call_sid=call.sid, caller_raw=call.from_number, to_raw=call.to_number,
                                        caller=caller, callback=None, lang=cfg.default_language,
                                        record_max_seconds=cfg.record_max_seconds, now=now)
        jobs.dispatch(out.then)
        report["callers_found"].append(incident_id)


def _missed(cfg: Config, w: _Window, now: datetime, recorded: set[str], report: CycleReport) -> None:
    """Ended calls to our numbers that we never heard of and that left no recording: abandoned
    calls, to be called back. A call still going on (or whose recording is still being made) moves
    the next look's start back to it, so it is decided once it is over."""
    since = w.calls_since or _first_look(cfg, "calls", now)
    held = [c for number in cfg.numbers for c in ledger.inbound_calls(number, since, MAX_CALLS)]
    with get_runtime().db.session() as s:
        known = set(s.scalars(select(Call.sid).where(Call.sid.in_([c.sid for c in held]))))
    waiting: list[datetime] = []
    for call in held:
        if call.sid in known:
            continue
        if call.status not in FINAL_CALL_STATUSES or call.sid in recorded:
            if call.started is not None:  # not over, or its message is the recordings step's
                waiting.append(call.started)
            continue
        _each(partial(_missed_call, call, report))
    w.calls_since = min([now - timedelta(seconds=cfg.record_max_seconds) - MARGIN, *waiting])
    _leave_mark(cfg, "calls", w.calls_since)


def _missed_call(call: ledger.HeldCall, report: CycleReport) -> None:
    with get_runtime().db.session() as s:
        out = commands.call_ended(s, call.sid, call.status, call.duration, call.from_number, call.to_number)
    jobs.dispatch(out.then)
    report["missed_calls"].append(call.sid)
    log.warning("reconciliation: call %s to %s reached nobody of ours and left no message: on the call-back list",
                call.sid, call.to_number)


def _to_our_number(cfg: Config, call: ledger.HeldCall | None) -> bool:
    return (call is not None and call.direction == "inbound"
            and to_e164(call.to_number, cfg.default_region) in cfg.numbers)


STEPS = (CycleStep("reconciled", 9, reconcile),)
