"""The plain rows the trends are computed from, read in two queries over a time window.

Per incident: its type, when it was reported, whether it was a drill, its first ring and first
answer (the earliest over every callout call made for it, aggregated in SQL), its accept and
acceptor, and the crisis verdict (a false alarm, a real crisis, or none given). Per callout call:
whose it was, whether it was a drill's, and how it ended. The same SQL runs on SQLite and
PostgreSQL (tests/trends/test_trend_rows.py runs both).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from hotline.base.models import Incident
from hotline.crisis.models import Crisis
from hotline.paging.models import Attempt, Callout, callout_incidents


@dataclass(frozen=True)
class IncidentRow:
    id: int
    type_key: str
    reported_at: datetime
    drill: bool
    first_ring_at: datetime | None
    first_answer_at: datetime | None
    accepted_at: datetime | None
    accepted_by: str | None
    verdict: str | None  # CrisisState (active | false_alarm), or None: nobody gave one


@dataclass(frozen=True)
class CallRow:
    person: str
    name: str
    drill: bool
    outcome: str | None  # an AttemptState verdict or end (None: still ringing or never placed)
    answered: bool


def incidents(s: Session, since: datetime, until: datetime) -> list[IncidentRow]:
    rang = func.coalesce(Attempt.ring_started_at, case((Attempt.call_sid.is_not(None), Attempt.created_at)))
    calls = (select(callout_incidents.c.incident_id.label("incident_id"), func.min(rang).label("first_ring"),
                    func.min(Attempt.answered_at).label("first_answer"))
             .join(Attempt, Attempt.callout_id == callout_incidents.c.callout_id)
             .group_by(callout_incidents.c.incident_id).subquery())
    rows = s.execute(
        select(Incident.id, Incident.type_key, Incident.created_at, Incident.drill, calls.c.first_ring,
               calls.c.first_answer, Incident.accepted_at, Incident.accepted_by, Crisis.state)
        .outerjoin(calls, calls.c.incident_id == Incident.id)
        .outerjoin(Crisis, Crisis.incident_id == Incident.id)
        .where(Incident.created_at >= since, Incident.created_at < until)
        .order_by(Incident.created_at, Incident.id))
    return [IncidentRow(*row) for row in rows]


def calls(s: Session, since: datetime, until: datetime) -> list[CallRow]:
    rows = s.execute(select(Attempt.person_key, Attempt.person_name, Callout.drill_id.is_not(None),
                            Attempt.outcome, Attempt.answered_at.is_not(None))
                     .join(Callout, Callout.id == Attempt.callout_id)
                     .where(Attempt.created_at >= since, Attempt.created_at < until).order_by(Attempt.id))
    return [CallRow(person, name, bool(drill), outcome, bool(answered))
            for person, name, drill, outcome, answered in rows]
