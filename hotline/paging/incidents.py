"""The rows behind paging's commands: calls, incidents, recordings. Only `hotline.paging` calls these.

Everything here is idempotent on Twilio's ids (CallSid, RecordingSid), because Twilio may
retry a callback and the sim's tests deliberately send them twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Row, String, bindparam, case, cast, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hotline.base import audit
from hotline.base.db import insert_if_absent
from hotline.base.models import REF_BASE, Call, CallEvent, Incident, IncidentStatus, Recording, reference_for, utcnow
from hotline.base.state_machine import Machine, Move
from hotline.base.states import NEEDS_PAGING

FINAL_CALL_STATUSES = ("completed", "busy", "failed", "no-answer", "canceled")
FIELDS = ("severity", "callback_number", "site", "caller")

# The per-webhook writes are Core statements on the tables, run on the session's connection
# (without the ORM's unit of work and execute path), each built once here (building a statement
# costs more than running it on SQLite); the values come as parameters. Bound names in WHERE
# clauses start with "b_": a column's own name sets it.
CALLS, CALL_EVENTS, INCIDENTS, RECORDINGS = (m.__table__ for m in (Call, CallEvent, Incident, Recording))
_ADD_CALL_EVENT = insert(CALL_EVENTS)
_CALL_BY_SID = update(CALLS).where(CALLS.c.sid == bindparam("b_sid"))
_HOLD_CALL = _CALL_BY_SID.values(from_number=func.coalesce(CALLS.c.from_number,
                                                         bindparam("b_from", type_=CALLS.c.from_number.type)))
# A write that changes nothing: it takes the call's row lock, and returns the row as it is once
# the lock is ours (PostgreSQL re-reads a row another transaction changed meanwhile).
_LOCK_CALL = _CALL_BY_SID.values(sid=CALLS.c.sid).returning(CALLS.c.id, CALLS.c.incident_id)
_INCIDENT_TYPE = select(INCIDENTS.c.type_key).where(INCIDENTS.c.id == bindparam("b_id"))
_LINK_CALL = update(CALLS).where(CALLS.c.id == bindparam("b_id"))
_INCIDENT = update(INCIDENTS).where(INCIDENTS.c.id == bindparam("b_id"))
_NEXT_REF = select(cast(func.coalesce(func.max(INCIDENTS.c.id), 0) + 1 + REF_BASE, String)).scalar_subquery()
# A call's incident is added unless the call has one (uq_incidents_call_sid): on PostgreSQL a
# second transaction's INSERT waits for the first's and then adds nothing, whatever path each took.
_CALL_SID, _HAS_CALL = [INCIDENTS.c.call_sid], INCIDENTS.c.call_sid.is_not(None)
_ADD_INCIDENT = {"sqlite": sqlite.insert(INCIDENTS).values(ref=_NEXT_REF)
                 .on_conflict_do_nothing(index_elements=_CALL_SID, index_where=_HAS_CALL)
                 .returning(INCIDENTS.c.id, INCIDENTS.c.ref),
                 "postgresql": postgresql.insert(INCIDENTS)
                 .on_conflict_do_nothing(index_elements=_CALL_SID, index_where=_HAS_CALL)
                 .returning(INCIDENTS.c.id, INCIDENTS.c.ref)}
_INCIDENT_OF_CALL = select(INCIDENTS.c.id).where(INCIDENTS.c.call_sid == bindparam("b_sid"))
_NEW_VALUE = {key: bindparam("b_value", type_=INCIDENTS.c[key].type) for key in FIELDS}
_SET_FIELD = {key: update(INCIDENTS).where(INCIDENTS.c.id == bindparam("b_id"),
                                           INCIDENTS.c[key].is_distinct_from(_NEW_VALUE[key]))
              .values({key: _NEW_VALUE[key]}).returning(INCIDENTS.c.id) for key in FIELDS}
_FILL_RECORDING = (update(RECORDINGS).where(RECORDINGS.c.sid == bindparam("b_sid"))
                   .values(source_url=func.coalesce(RECORDINGS.c.source_url,
                                                    bindparam("b_url", type_=RECORDINGS.c.source_url.type)),
                           incident_id=func.coalesce(RECORDINGS.c.incident_id,
                                                     bindparam("b_incident", type_=RECORDINGS.c.incident_id.type)))
                   .returning(RECORDINGS.c.id, RECORDINGS.c.status))
_CALL_STATUS = (update(CALLS).where(CALLS.c.sid == bindparam("b_sid"), CALLS.c.status.not_in(FINAL_CALL_STATUSES))
                .returning(CALLS.c.id, CALLS.c.incident_id, CALLS.c.ended_at, CALLS.c.abandoned))
_CALL_ENDED = _CALL_STATUS.values(abandoned=case((CALLS.c.incident_id.is_(None) & (CALLS.c.purpose == "report"), True),
                                                 else_=CALLS.c.abandoned))
_NOW = bindparam("b_now", type_=INCIDENTS.c.page_due_at.type)
_PAGE_NOW = (update(INCIDENTS).where(INCIDENTS.c.id == bindparam("b_id"),
                                     INCIDENTS.c.status.in_(NEEDS_PAGING),
                                     INCIDENTS.c.page_due_at.is_not(None), INCIDENTS.c.page_due_at > _NOW)
             .values(page_due_at=_NOW))


def ensure_call(s: Session, sid: str, from_number: str | None, to_number: str | None,
                direction: str = "inbound", purpose: str = "report") -> bool:
    """Create the call row unless it exists (True when created). Two callbacks for a new CallSid
    may race, and both must win: one INSERT that does nothing on a duplicate."""
    row = insert_if_absent(s, CALLS, "sid", {"sid": sid, "from_number": from_number, "to_number": to_number,
                                             "direction": direction, "purpose": purpose, "status": "in-progress"},
                           "id")
    if row is None:
        return False
    s.connection().execute(_ADD_CALL_EVENT,
                           {"call_id": row.id, "status": "in-progress", "detail": {"from": from_number}})
    return True


def register_call(s: Session, sid: str, from_number: str | None, to_number: str | None,
                  direction: str = "inbound", purpose: str = "report") -> Call:
    """The call row as an object, created if needed (see `ensure_call`)."""
    ensure_call(s, sid, from_number, to_number, direction, purpose)
    return s.scalars(select(Call).where(Call.sid == sid)).one()


def hold_call(s: Session, sid: str, from_number: str | None) -> None:
    """Write the call row (filling a missing caller) before reading its incident: the row lock (or
    SQLite's write lock) makes two paths filing one call's message file one incident, not one each."""
    s.connection().execute(_HOLD_CALL, {"b_sid": sid, "b_from": from_number})


def mark_call(s: Session, sid: str, from_number: str | None, to_number: str | None, purpose: str) -> None:
    """What this call is for (an operator's, an admin's, a forward to the lifeline), so its end is
    not taken for an abandoned report."""
    if not ensure_call(s, sid, from_number, to_number, purpose=purpose):
        s.connection().execute(_CALL_BY_SID, {"b_sid": sid, "purpose": purpose})


def classify(s: Session, call_sid: str, type_key: str, lang: str, caller: str | None, *, drill: bool = False,
             page_due_at: datetime | None = None, source: str | None = None,
             relayed_by: str | None = None) -> tuple[int, bool]:
    """The incident exists from the moment the caller picks a type, so a hang-up loses nothing.
    Returns (incident id, created). `page_due_at` is written unless paging is due already or the
    incident no longer needs it.

    The call's incident is read by locking the call's row: on PostgreSQL a caller's choice and the
    fallback's message for the same call (Twilio asks the fallback URL when our answer is late,
    while the slow node still writes) would otherwise each see no incident and file one each.
    Locked, the second waits and then sees the first's incident. One statement, as the plain read
    was (tests/ivr/test_webhook_cost.py); the incident's type is read only when there is one."""
    known = s.connection().execute(_LOCK_CALL, {"b_sid": call_sid}).first()
    incident_id = known.incident_id if known is not None else None
    if incident_id is None:
        values = {"type_key": type_key, "language": lang, "caller": caller, "callback_number": caller,
                  "call_sid": call_sid, "drill": drill, "page_due_at": page_due_at, "source": source or "phone",
                  "relayed_by": relayed_by}
        added = _add_incident(s, values)
        # None: the call has an incident its row did not name (filed by a path that found no call
        # row, or by another transaction between); join it, and name it on the row from now on.
        incident_id = added or s.connection().execute(_INCIDENT_OF_CALL, {"b_sid": call_sid}).scalar_one()
        if known is not None:
            s.connection().execute(_LINK_CALL, {"b_id": known.id, "incident_id": incident_id})
        if added is not None:
            audit.record_now(s, "incident_created", added, actor=caller or "anonymous", type=type_key, language=lang)
            return added, True
    changes: dict[str, object] = {k: v for k, v in (("source", source), ("relayed_by", relayed_by)) if v}
    known_type = s.connection().execute(_INCIDENT_TYPE, {"b_id": incident_id}).scalar_one()
    if known_type != type_key:
        changes["type_key"] = type_key
        audit.record_now(s, "incident_reclassified", incident_id, old=known_type, new=type_key)
    if page_due_at is not None:
        unset = INCIDENTS.c.page_due_at.is_(None) & INCIDENTS.c.status.in_(NEEDS_PAGING)
        changes["page_due_at"] = case((unset, page_due_at), else_=INCIDENTS.c.page_due_at)
    if changes:  # a caller choosing again: rare, so built here
        s.execute(update(INCIDENTS).where(INCIDENTS.c.id == incident_id).values(changes))
    return incident_id, False


def _add_incident(s: Session, values: Mapping[str, object]) -> int | None:
    """The row and its reference (1000 + id), or None when its call has an incident already. On
    SQLite one statement: a new rowid is one more than the largest, which the same statement reads;
    the RETURNING proves it, else the ref is set after."""
    connection = s.connection()
    row = connection.execute(_ADD_INCIDENT[connection.dialect.name], values).first()
    if row is None:
        return None
    if row.ref != reference_for(row.id):
        s.connection().execute(_INCIDENT, {"b_id": row.id, "ref": reference_for(row.id)})
    return int(row.id)


def new_incident(s: Session, type_key: str, lang: str, caller: str | None, actor: str, call_sid: str | None = None,
                 drill: bool = False, source: str = "phone") -> Incident:
    """A new incident row with its reference number, and the first line of its timeline."""
    incident = Incident(type_key=type_key, language=lang, caller=caller, callback_number=caller,
                        call_sid=call_sid, drill=drill, source=source)
    s.add(incident)
    s.flush()
    incident.ref = reference_for(incident.id)
    audit.record(s, "incident_created", incident.id, actor=actor, type=type_key, language=lang)
    return incident


def set_fields(s: Session, incident_id: int, fields: dict[str, str]) -> None:
    """Each field that changes is written and audited; one that has that value already is not."""
    for key in FIELDS:
        if key in fields and s.connection().execute(_SET_FIELD[key],
                                                    {"b_id": incident_id, "b_value": fields[key]}).first():
            audit.record_now(s, f"{key}_set", incident_id, value=fields[key])


def page_now(s: Session, incident_id: int, now: datetime) -> bool:
    """Bring paging forward to `now` for an incident that needs it and whose paging is due later;
    True when that moved it (the first "caller done" signal)."""
    return bool(s.connection().execute(_PAGE_NOW, {"b_id": incident_id, "b_now": now}).rowcount)


def note_recording(s: Session, incident_id: int | None, sid: str, url: str | None,
                   duration: float | None, kind: str = "report") -> Row[Any]:
    """The recording's (id, status), noted once per RecordingSid; a repeat only fills what was missing."""
    row = insert_if_absent(s, RECORDINGS, "sid", {"incident_id": incident_id, "sid": sid, "source_url": url,
                                                  "duration": duration, "kind": kind}, "id", "status")
    if row is not None:
        audit.record_now(s, "recording_reported", incident_id, sid=sid, duration=duration)
        return row
    return s.connection().execute(_FILL_RECORDING, {"b_sid": sid, "b_url": url, "b_incident": incident_id}).one()


def call_status(s: Session, sid: str, status: str, duration: str | None,
                from_number: str | None, to_number: str | None) -> Row[Any] | None:
    """Record a status; a report call that ends before classification is an abandoned call.
    Returns the call's (id, incident_id, ended_at, abandoned), or None for a late or duplicate callback."""
    final = status in FINAL_CALL_STATUSES
    statement = _CALL_STATUS
    values: dict[str, object] = {"b_sid": sid, "status": status}
    if final:
        statement = _CALL_ENDED
        values.update(ended_at=utcnow(), duration=int(duration) if duration and duration.isdigit() else None)
    call = s.connection().execute(statement, values).first()
    if call is None and ensure_call(s, sid, from_number, to_number):
        call = s.connection().execute(statement, values).first()
    if call is None:
        return None  # late or duplicate callback
    s.connection().execute(_ADD_CALL_EVENT, {"call_id": call.id, "status": status, "detail": {"duration": duration}})
    if final and call.abandoned and call.incident_id is None:
        audit.record_now(s, "abandoned_call", None, actor=from_number or "anonymous", call_sid=sid,
                     caller=from_number, note="hung up before choosing a type: call back")
    return call


def incident_for_call(s: Session, call_sid: str) -> Incident | None:
    call = s.scalar(select(Call).where(Call.sid == call_sid))
    return s.get(Incident, call.incident_id) if call and call.incident_id else None


S = IncidentStatus
# The legal moves of an incident's status; `set_status` refuses anything else, so two channels
# racing cannot undo an acceptance or a close. Reopen is the only way out of CLOSED.
INCIDENT_TRANSITIONS: dict[str, set[str]] = {
    S.NEW: {S.RECORDED, S.PAGING, S.UNACKNOWLEDGED, S.STOPPED, S.ACCEPTED, S.CLOSED},
    S.RECORDED: {S.PAGING, S.UNACKNOWLEDGED, S.STOPPED, S.ACCEPTED, S.CLOSED},
    S.PAGING: {S.UNACKNOWLEDGED, S.STOPPED, S.ACCEPTED, S.CLOSED},
    S.UNACKNOWLEDGED: {S.PAGING, S.STOPPED, S.ACCEPTED, S.CLOSED},
    S.STOPPED: {S.NEW, S.ACCEPTED, S.CLOSED},
    S.ACCEPTED: {S.CLOSED},
    S.CLOSED: {S.NEW, S.ACCEPTED},
}


def _audit_status(s: Session, move: Move) -> None:
    audit.record(s, "status_" + move.to, move.row_id, actor=move.actor, **move.detail)


# Every write of an incident's status goes through this machine (`hotline.base.state_machine`).
INCIDENT = Machine("incident", Incident, INCIDENT_TRANSITIONS, column="status", touched="updated_at",
                   audit=_audit_status)


def set_status(s: Session, incident_ids: list[int], status: str, actor: str = "system",
               fields: dict[str, object] | None = None, only_from: tuple[str, ...] | None = None,
               **detail: object) -> list[int]:
    """Move incidents to `status` where that is a legal step (writing `fields` with it); returns
    the ids that moved, each with one line on its timeline.

    Conditional on the current status, so concurrent writers cannot undo an acceptance.
    """
    now = utcnow()
    values: dict[str, object] = dict(fields or {})
    if status == IncidentStatus.CLOSED:
        values["closed_at"] = now
    return INCIDENT.move(s, incident_ids, status, now=now, only_from=only_from, values=values, actor=actor, **detail)
