"""What the console's buttons do to incidents and callouts, in one small module.

Accepting on someone's behalf and cancelling a callout go through the callout package's own
entry points (`callout.receive.accept` + the `after_accept` job that ends the other calls and
sends the SMS; `callout.closeout.cancel_callout` that cancels and tells whoever is on the line),
so a dashboard accept is indistinguishable from a responder pressing 1. Re-point them here if
those entry points move.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import update

from hotline.base import audit
from hotline.base.models import Incident, IncidentStatus, utcnow
from hotline.base.runtime import get_runtime
from hotline.lifecycle.incidents import set_status


@dataclass(frozen=True)
class Outcome:
    ok: bool
    message: str


def accept_on_behalf(incident_id: int, person_key: str, actor: str) -> Outcome:
    """The person said yes some other way (a call to the office, Signal): record it as theirs."""
    cfg = get_runtime().config
    person = cfg.people.get(person_key)
    if person is None:
        return Outcome(False, f"unknown person {person_key!r}")
    now = utcnow()
    callout_id = None
    with get_runtime().db.session() as s:
        callout = _callout(s, incident_id)
        if callout is None:  # no callout (yet): the incident itself records who took it
            s.execute(update(Incident).where(Incident.id == incident_id, Incident.accepted_by.is_(None))
                      .values(accepted_by=person_key, accepted_at=now))
            moved = set_status(s, [incident_id], IncidentStatus.ACCEPTED, actor=actor, on_behalf_of=person_key)
            return Outcome(bool(moved), f"accepted by {person.name}" if moved else "already handled")
        from callout.receive import accept
        from hotline.lifecycle.incident_sync import sync_incidents

        result = accept(s, callout.id, now, person=person_key, name=person.name)
        audit.record(s, "console.accept_on_behalf", incident_id, actor=actor, person=person_key, ok=result.ok)
        if result.ok:
            sync_incidents(s, callout, now)
            callout_id = callout.id
    if callout_id is not None:
        from callout.schedule import after_accept

        after_accept(callout_id)  # ends the other calls and sends the SMS, as a pressed 1 does
    return Outcome(result.ok, result.message)


def cancel_callout(incident_id: int, reason: str, actor: str) -> Outcome:
    with get_runtime().db.session() as s:
        callout = _callout(s, incident_id)
        callout_id = callout.id if callout is not None else None
    if callout_id is None:
        return Outcome(False, "Nothing to cancel.")
    from callout.closeout import cancel_callout as cancel

    done = cancel(callout_id, reason or "cancelled from the console", actor)
    return Outcome(done, "Callout cancelled." if done else "Nothing to cancel.")


def close(incident_id: int, note: str, actor: str) -> Outcome:
    """Close the incident; its callout stops too once every incident it covers is closed."""
    with get_runtime().db.session() as s:
        if note:
            audit.record(s, "note", incident_id, actor=actor, text=note)
        moved = set_status(s, [incident_id], IncidentStatus.CLOSED, actor=actor, note=note)
        callout = _callout(s, incident_id)
        open_left = callout is not None and any(i.status != IncidentStatus.CLOSED for i in callout.incidents)
        stop = callout is not None and not open_left and callout.state in ("pending", "dialing", "unacknowledged")
    if stop:
        cancel_callout(incident_id, "incident closed", actor)
    return Outcome(bool(moved), "Incident closed." if moved else "already closed")


def add_note(incident_id: int, note: str, actor: str) -> Outcome:
    if not note.strip():
        return Outcome(False, "empty note")
    with get_runtime().db.session() as s:
        audit.record(s, "note", incident_id, actor=actor, text=note.strip()[:4000])
    return Outcome(True, "Note saved.")


def _callout(s, incident_id: int):  # type: ignore[no-untyped-def]
    try:
        from callout.engine import callout_for_incident
    except ImportError:
        return None
    return callout_for_incident(s, incident_id)
