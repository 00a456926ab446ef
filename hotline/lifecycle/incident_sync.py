"""Keep the incidents' status (what a dashboard shows) in line with their callout's state.

Idempotent and monotone: `hotline.incidents.set_status` only makes legal moves, so calling
this again, late, or from two processes never undoes an acceptance.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from callout.states import CalloutState
from hotline.base.callout_models import Callout
from hotline.base.models import Incident, IncidentStatus
from hotline.lifecycle.incidents import set_status

STATUS_FOR = {
    CalloutState.DIALING: IncidentStatus.PAGING,
    CalloutState.UNACKNOWLEDGED: IncidentStatus.UNACKNOWLEDGED,
    CalloutState.ACCEPTED: IncidentStatus.ACCEPTED,
    # Nobody is being paged any more and nobody accepted: say so, rather than "paging".
    # (A closed incident stays closed: set_status makes no illegal move.)
    CalloutState.CANCELLED: IncidentStatus.UNACKNOWLEDGED,
}


def sync_incidents(session: Session, callout: Callout, now: datetime) -> None:
    session.refresh(callout)
    ids = [i.id for i in callout.incidents]
    status = STATUS_FOR.get(callout.state)
    if not ids or status is None:
        return
    # set_status moves (and audits) only what may move, so each move shows once in the timeline.
    if status == IncidentStatus.ACCEPTED:
        session.execute(update(Incident).where(Incident.id.in_(ids), Incident.accepted_by.is_(None))
                        .values(accepted_by=callout.accepted_by, accepted_at=callout.accepted_at or now))
        set_status(session, ids, status, actor=callout.accepted_by or "system", callout_id=callout.id)
    else:
        set_status(session, ids, status, callout_id=callout.id)
    for incident in callout.incidents:
        session.refresh(incident)
