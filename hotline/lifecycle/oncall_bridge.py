"""The IVR's door into the callout: accept by dialling in, what a report says, cancel on resolve.

Kept to one small module so the IVR never reaches into callout internals from many places.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from hotline.base.models import Incident, IncidentStatus, Recording, Transcript, utcnow
from hotline.base.runtime import get_runtime
from hotline.lifecycle import incidents


@dataclass(frozen=True)
class Accepted:
    ok: bool
    accepted_by_name: str | None


def accept_incident(incident_id: int, person: str) -> Accepted:
    """Atomic, through the callout's own accept: its callout stops and the same SMS go out."""
    from callout.engine import callout_for_incident
    from callout.receive import accept

    rt = get_runtime()
    name = rt.config.people[person].name if person in rt.config.people else person
    now = utcnow()
    with rt.db.session() as s:
        callout = callout_for_incident(s, incident_id)
        if callout is None:  # no callout yet: the incident row itself is the lock
            won = incidents.set_status(s, [incident_id], IncidentStatus.ACCEPTED, actor=person, via="dial-in")
            if won:
                inc = s.get(Incident, incident_id)
                assert inc is not None
                inc.accepted_by, inc.accepted_at = person, now
                return Accepted(True, name)
            inc = s.get(Incident, incident_id)
            return Accepted(False, inc.accepted_by if inc else None)
        result = accept(s, callout.id, now, person=person, name=name)
        callout_id = callout.id
    if result.ok:
        rt.queue("callout").enqueue("callout.closeout.after_accept", callout_id, job_timeout=120)
    return Accepted(result.ok, result.accepted_by_name)


def report_media(incident_id: int) -> tuple[str | None, str | None]:
    """The transcript text if there is one, and a link Twilio can <Play> for the recording."""
    from callout.links import recording_url

    rt = get_runtime()
    with rt.db.session() as s:
        rec = s.scalar(select(Recording).where(Recording.incident_id == incident_id, Recording.status == "stored",
                                               Recording.kind == "report").order_by(Recording.id.desc()))
        if rec is None:
            return None, None
        tr = s.scalar(select(Transcript).where(Transcript.recording_id == rec.id, Transcript.status == "done"))
        return (tr.text if tr else None), recording_url(rt.config, rec.id)


def cancel_for_incident(incident_id: int, reason: str, actor: str) -> None:
    from callout.engine import callout_for_incident

    with get_runtime().db.session() as s:
        callout = callout_for_incident(s, incident_id)
        callout_id = callout.id if callout else None
    if callout_id is not None:
        get_runtime().queue("callout").enqueue("callout.closeout.cancel_callout", callout_id, reason, actor,
                                               job_timeout=120)
