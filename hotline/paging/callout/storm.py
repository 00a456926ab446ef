"""One callout per storm: a report joins a running callout for its type instead of starting one.

Twenty people reporting the same outage should wake one responder once, who then hears
"20 reports" and can step through them; a report of a different type still gets its own
callout. The database decides who opens a storm's callout: `Callout.storm_type` is unique, so
of two reports arriving together exactly one INSERT wins and the other joins it, on SQLite and
PostgreSQL, with no lock service (paging must not depend on Redis being up).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline.base import audit
from hotline.base.states import CALLOUT_ACTIVE, CalloutState
from hotline.paging.callout.store import link_incident, paging_callout, responsible_callout_id
from hotline.paging.models import Callout, callout_incidents
from hotline.rotas.policy import OncallSettings


def close_storm_windows(session: Session, type_key: str, settings: OncallSettings, now: datetime) -> None:
    """A callout older than the storm window, or no longer active, stops collecting reports."""
    since = now - timedelta(minutes=settings.storm_window_minutes)
    session.execute(update(Callout).where(
        Callout.storm_type == type_key,
        (Callout.created_at < since) | Callout.state.not_in(CALLOUT_ACTIVE)).values(storm_type=None))


def storm_key(type_key: str, drill_id: int | None) -> str:
    """A drill's reports storm only with the same drill's, never with real ones (and vice versa)."""
    return type_key if drill_id is None else f"drill-{drill_id}:{type_key}"[:40]


def open_or_join(session: Session, incident_id: int, type_key: str, settings: OncallSettings,
                 now: datetime, drill_id: int | None = None) -> tuple[Callout, bool]:
    """The callout that pages this incident from now on, and whether it joined an existing one.

    Safe to run twice or concurrently (a retried job, the convergence cycle beside a webhook's
    nudge): the partial unique index on active links keeps one callout per incident.
    """
    existing = paging_callout(session, incident_id)
    if existing is not None:
        return existing, False
    storms = settings.storm_window_minutes > 0
    key = storm_key(type_key, drill_id)
    if storms:
        close_storm_windows(session, key, settings, now)
    for _ in range(3):  # each pass either opens, joins, or finds the storm just ended
        running = session.scalar(select(Callout).where(Callout.storm_type == key)) if storms else None
        if running is None:
            callout = _open(session, incident_id, type_key, settings, now, storms, drill_id)
            if callout is not None:
                return callout, False
            continue
        if link_incident(session, running.id, incident_id):
            running.storm = True
            reports = len(session.execute(select(callout_incidents.c.incident_id).where(
                callout_incidents.c.callout_id == running.id)).all())
            audit.record(session, "callout.joined", incident_id, callout_id=running.id, reports=reports)
            session.flush()
            session.refresh(running)
            return running, True
        found = _responsible(session, incident_id)
        if found is not None:
            return found, False
    raise RuntimeError(f"could not open or join a callout for incident {incident_id}")


def _open(session: Session, incident_id: int, type_key: str, settings: OncallSettings, now: datetime,
          storms: bool, drill_id: int | None = None) -> Callout | None:
    """A new callout for the incident; None when a concurrent report of its type opened one first."""
    policy = settings.policy_for(type_key)
    callout = Callout(state=CalloutState.PENDING, type_key=type_key, policy_key=policy.key, created_at=now,
                      updated_at=now, storm_type=storm_key(type_key, drill_id) if storms else None, drill_id=drill_id)
    try:
        with session.begin_nested():
            session.add(callout)
            session.flush()
    except IntegrityError:
        return None
    if not link_incident(session, callout.id, incident_id):  # another process linked it meanwhile
        session.delete(callout)
        session.flush()
        found = _responsible(session, incident_id)
        if found is None:
            raise RuntimeError(f"incident {incident_id} is linked, but to no callout")
        return found
    audit.record(session, "callout.opened", incident_id, callout_id=callout.id, policy=policy.key)
    return callout


def _responsible(session: Session, incident_id: int) -> Callout | None:
    callout_id = responsible_callout_id(session, incident_id)
    return session.get(Callout, callout_id) if callout_id is not None else None
