"""One callout per storm: a report joins a running callout for its type instead of starting one.

Twenty people reporting the same outage should wake one responder once, who then hears
"20 reports" and can step through them; a report of a different type still gets its own
callout. Callers serialise per type with a lock (see `callout.jobs.start`), so two reports
arriving together cannot both open a callout.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from callout.engine import callout_for_incident, open_callout
from callout.states import CalloutState
from hotline.base import audit
from hotline.base.callout_models import Callout, callout_incidents
from hotline.base.oncall_policy import OncallSettings


def running_callout(session: Session, type_key: str, settings: OncallSettings, now: datetime) -> Callout | None:
    """The newest active callout for `type_key` opened within the storm window, if any."""
    if settings.storm_window_minutes <= 0:
        return None
    since = now - timedelta(minutes=settings.storm_window_minutes)
    return session.execute(
        select(Callout).where(Callout.type_key == type_key, Callout.state.in_(CalloutState.ACTIVE),
                              Callout.created_at >= since)
        .order_by(Callout.created_at.desc(), Callout.id.desc()).limit(1)
    ).scalar_one_or_none()


def open_or_join(session: Session, incident_id: int, type_key: str, settings: OncallSettings,
                 now: datetime) -> tuple[Callout, bool]:
    """The callout that covers this incident from now on, and whether it joined an existing one."""
    existing = callout_for_incident(session, incident_id)
    if existing is not None:
        return existing, False
    running = running_callout(session, type_key, settings, now)
    if running is None:
        return open_callout(session, [incident_id], type_key, settings, now), False
    try:
        with session.begin_nested():
            session.execute(callout_incidents.insert(), [{"callout_id": running.id, "incident_id": incident_id}])
    except IntegrityError:
        found = callout_for_incident(session, incident_id)
        if found is None:
            raise
        return found, False
    running.storm = True
    count = session.execute(select(callout_incidents.c.incident_id)
                            .where(callout_incidents.c.callout_id == running.id)).all()
    audit.record(session, "callout.joined", incident_id, callout_id=running.id, reports=len(count))
    session.flush()
    session.refresh(running)
    return running, True
