"""Re-derive every piece of pending callout work from the database, after any restart.

Redis holds only hints (queued jobs, scheduled wake-ups); the database holds the truth. A
worker SIGKILLed mid-job, a web process restarted between two callbacks, or a Redis that
lost its data all leave the database consistent, so re-queuing the work it implies resumes
every open callout. Safe to run any time and any number of times: the jobs it queues are
idempotent. `callout.worker.CalloutWorker` runs it when a worker for the queue starts.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import exists, select

from callout import schedule
from callout.states import CalloutState
from hotline.base.callout_models import Callout, callout_incidents
from hotline.base.models import AuditEvent, Incident, IncidentStatus, utcnow
from hotline.base.runtime import get_runtime

log = logging.getLogger("callout.reconcile")
LOOK_BACK = timedelta(days=2)  # accepted callouts younger than this get their close-out re-checked


def run() -> dict[str, int]:
    since = utcnow() - LOOK_BACK
    with get_runtime().db.session() as s:
        active = list(s.scalars(select(Callout.id).where(Callout.state.in_(CalloutState.ACTIVE))))
        accepted = list(s.scalars(select(Callout.id).where(Callout.state == CalloutState.ACCEPTED,
                                                           Callout.accepted_at >= since)))
        closed_out = {e.detail.get("callout_id") for e in s.scalars(
            select(AuditEvent).where(AuditEvent.kind == "callout.closed_out", AuditEvent.at >= since))}
        linked = exists().where(callout_incidents.c.incident_id == Incident.id)
        orphans = list(s.scalars(select(Incident.id).where(
            Incident.handed_off_at.is_not(None), ~linked,
            Incident.status.not_in([IncidentStatus.CLOSED, IncidentStatus.ACCEPTED]))))
    for callout_id in active:
        schedule.step(callout_id)
    unfinished = [c for c in accepted if c not in closed_out]
    for callout_id in unfinished:
        schedule.after_accept(callout_id)
    for incident_id in orphans:
        schedule.start(incident_id)
    counts = {"active": len(active), "after_accept": len(unfinished), "orphans": len(orphans)}
    log.info("callout reconcile: %s", counts)
    return counts
