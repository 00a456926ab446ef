"""Legal hold: an incident whose recordings and transcripts must outlive the retention policy
(a court order, a complaint, an inquiry).

Rules:
1. Holding or releasing needs a named person and a reason; each writes one audit row.
2. While held (`Incident.legal_hold_by` is set) retention purges nothing of the incident
   (`hotline.retention.purge`). A hold keeps only what is still there: it cannot bring back
   audio already purged, and says so.
3. Releasing a hold makes the incident subject to retention again from the next daily pass
   (counted from when it was closed, as for any other).
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.base.lifecycle import Actor, Outcome, audited
from hotline.base.models import Incident, Recording
from hotline.base.states import RecordingStatus


def hold(s: Session, incident_id: int, actor: Actor, reason: str) -> Outcome:
    incident = s.get(Incident, incident_id, with_for_update=True)
    if incident is None:
        return Outcome(False, "no_incident", f"no incident {incident_id}")
    if not reason.strip():
        return Outcome(False, "reason_needed", "a legal hold needs a reason", incident_ids=(incident_id,))
    if incident.legal_hold_by:
        return Outcome(True, "already_held", f"already on legal hold (by {incident.legal_hold_by})",
                       incident_ids=(incident_id,))
    incident.legal_hold_by = actor.who
    purged = s.scalar(select(func.count()).select_from(Recording).where(
        Recording.incident_id == incident_id, Recording.status == RecordingStatus.PURGED)) or 0
    audited(s, "legal_hold", incident_id, actor, reason=reason.strip(), already_purged=purged)
    note = f"; {purged} recording(s) had already been purged and cannot be kept" if purged else ""
    return Outcome(True, "held", f"on legal hold: retention keeps its recordings and transcripts{note}",
                   incident_ids=(incident_id,))


def release_hold(s: Session, incident_id: int, actor: Actor, reason: str) -> Outcome:
    incident = s.get(Incident, incident_id, with_for_update=True)
    if incident is None:
        return Outcome(False, "no_incident", f"no incident {incident_id}")
    if not reason.strip():
        return Outcome(False, "reason_needed", "releasing a legal hold needs a reason", incident_ids=(incident_id,))
    if not incident.legal_hold_by:
        return Outcome(True, "not_held", "not on legal hold", incident_ids=(incident_id,))
    held_by, incident.legal_hold_by = incident.legal_hold_by, None
    audited(s, "legal_hold_released", incident_id, actor, reason=reason.strip(), held_by=held_by)
    return Outcome(True, "released", "legal hold released: retention applies again", incident_ids=(incident_id,))
