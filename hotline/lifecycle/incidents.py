"""The rows behind the lifecycle: calls, incidents, recordings. Only `hotline.lifecycle` calls these.

Everything here is idempotent on Twilio's ids (CallSid, RecordingSid), because Twilio may
retry a callback and the sim's tests deliberately send them twice.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline.base import audit
from hotline.base.models import Call, CallEvent, Incident, IncidentStatus, Recording, reference_for, utcnow

FINAL_CALL_STATUSES = {"completed", "busy", "failed", "no-answer", "canceled"}


def register_call(s: Session, sid: str, from_number: str | None, to_number: str | None,
                  direction: str = "inbound", purpose: str = "report") -> Call:
    """Get or create the call row; two callbacks for a new CallSid may race, and both must win."""
    call = s.scalar(select(Call).where(Call.sid == sid))
    if call is not None:
        return call
    try:
        with s.begin_nested():
            call = Call(sid=sid, from_number=from_number, to_number=to_number, direction=direction,
                        purpose=purpose, status="in-progress")
            s.add(call)
            s.flush()
    except IntegrityError:
        call = s.scalar(select(Call).where(Call.sid == sid))
        assert call is not None
        return call
    s.add(CallEvent(call_id=call.id, status="in-progress", detail={"from": from_number}))
    return call


def classify(s: Session, call_sid: str, type_key: str, lang: str, caller: str | None, drill: bool = False) -> Incident:
    """The incident exists from the moment the caller picks a type, so a hang-up loses nothing."""
    call = s.scalar(select(Call).where(Call.sid == call_sid))
    incident = s.get(Incident, call.incident_id) if call and call.incident_id else None
    if incident is None:
        incident = new_incident(s, type_key, lang, caller, actor=caller or "anonymous", call_sid=call_sid, drill=drill)
        if call:
            call.incident_id = incident.id
    elif incident.type_key != type_key:
        audit.record(s, "incident_reclassified", incident.id, old=incident.type_key, new=type_key)
        incident.type_key = type_key
    return incident


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
    incident = s.get(Incident, incident_id)
    if incident is None:
        return
    for key in ("severity", "callback_number", "site", "caller"):
        if key in fields and getattr(incident, key) != fields[key]:
            setattr(incident, key, fields[key])
            audit.record(s, f"{key}_set", incident_id, value=fields[key])


def note_recording(s: Session, incident_id: int | None, sid: str, url: str | None,
                   duration: float | None, kind: str = "report") -> Recording:
    rec = s.scalar(select(Recording).where(Recording.sid == sid))
    if rec is None:
        rec = Recording(incident_id=incident_id, sid=sid, source_url=url, duration=duration, kind=kind)
        s.add(rec)
        s.flush()
        audit.record(s, "recording_reported", incident_id, sid=sid, duration=duration)
    else:
        rec.source_url = rec.source_url or url
        rec.incident_id = rec.incident_id or incident_id
    return rec


def call_status(s: Session, sid: str, status: str, duration: str | None,
                from_number: str | None, to_number: str | None) -> Call:
    """Record a status; a report call that ends before classification is an abandoned call."""
    call = register_call(s, sid, from_number, to_number)
    if call.status in FINAL_CALL_STATUSES:
        return call  # late or duplicate callback
    call.status = status
    s.add(CallEvent(call_id=call.id, status=status, detail={"duration": duration}))
    if status in FINAL_CALL_STATUSES:
        call.ended_at = utcnow()
        call.duration = int(duration) if duration and duration.isdigit() else None
        if call.incident_id is None and call.purpose == "report":
            call.abandoned = True
            audit.record(s, "abandoned_call", None, actor=from_number or "anonymous", call_sid=sid,
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


def set_status(s: Session, incident_ids: list[int], status: str, actor: str = "system",
               fields: dict[str, object] | None = None, only_from: tuple[str, ...] | None = None,
               **detail: object) -> list[int]:
    """Move incidents to `status` where that is a legal step (writing `fields` with it); returns
    the ids that moved.

    Conditional on the current status, so concurrent writers cannot undo an acceptance.
    """
    fields = fields or {}
    allowed_from = [src for src, targets in INCIDENT_TRANSITIONS.items()
                    if status in targets and (only_from is None or src in only_from)]
    now = utcnow()
    values: dict[str, object] = {"status": status, "updated_at": now, **fields}
    if status == IncidentStatus.CLOSED:
        values["closed_at"] = now
    moved = list(s.scalars(update(Incident).where(Incident.id.in_(incident_ids), Incident.status.in_(allowed_from))
                           .values(**values).returning(Incident.id)))
    for incident_id in moved:  # only what really moved: the timeline shows each move once
        audit.record(s, "status_" + status, incident_id, actor=actor, **detail)
    return moved
