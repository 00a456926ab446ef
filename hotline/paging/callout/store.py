"""Glue between the database and `decide.next_action`, for the job layer to call.

`advance` loads a snapshot, asks for the next action, records what that action implies in the
database (a queued attempt, a state change, when to wake) and returns it; the caller then
does the outside-world part (place the call through Twilio, schedule the next wake-up).
Nothing here talks to Twilio or Redis, so it is tested against the database alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, object_session

from hotline.base import audit
from hotline.base.config import Person
from hotline.base.states import ATTEMPT_LIVE, CALLOUT_ACTIVE, AttemptState, CalloutState
from hotline.drills import gate as drills
from hotline.paging.callout.decide import (
    Action,
    AttemptView,
    Dial,
    Done,
    MarkUnacknowledged,
    NextCall,
    Reconcile,
    RepeatAfter,
    Wait,
    next_action,
    next_call,
)
from hotline.paging.callout.states import set_attempt_state, set_callout_state
from hotline.paging.models import Attempt, Callout, callout_incidents
from hotline.rotas.policy import OncallSettings, Override, Policy, Step
from hotline.rotas.resolve import Contact, resolve_contacts


def callout_for_incident(session: Session, incident_id: int) -> Callout | None:
    """The callout responsible for the incident now, else the latest that ever covered it."""
    return session.execute(
        select(Callout).join(callout_incidents).where(callout_incidents.c.incident_id == incident_id)
        .order_by(callout_incidents.c.active.desc(), Callout.id.desc()).limit(1)
    ).scalar_one_or_none()


def open_callout(session: Session, incident_ids: Sequence[int], type_key: str, settings: OncallSettings,
                 now: datetime, *, storm: bool = False) -> Callout:
    """A callout for these incidents, or the one already paging the first (a retried job)."""
    existing = paging_callout(session, incident_ids[0])
    if existing is not None:
        return existing
    policy = settings.policy_for(type_key)
    callout = Callout(state=CalloutState.PENDING, type_key=type_key, policy_key=policy.key, storm=storm,
                      created_at=now, updated_at=now)
    session.add(callout)
    session.flush()
    for incident_id in incident_ids:
        if not link_incident(session, callout.id, incident_id):
            raise LookupError(f"incident {incident_id} is already paged by another callout")
        audit.record(session, "callout.opened", incident_id, callout_id=callout.id, policy=policy.key)
    return callout


def paging_callout(session: Session, incident_id: int) -> Callout | None:
    """The active callout paging for this incident, if any."""
    return session.execute(
        select(Callout).join(callout_incidents)
        .where(callout_incidents.c.incident_id == incident_id, callout_incidents.c.active,
               Callout.state.in_(CALLOUT_ACTIVE))
    ).scalar_one_or_none()


def responsible_callout_id(session: Session, incident_id: int) -> int | None:
    """The callout with an active link to the incident (paging it, or accepted through it)."""
    return session.execute(
        select(callout_incidents.c.callout_id)
        .where(callout_incidents.c.incident_id == incident_id, callout_incidents.c.active)
    ).scalar_one_or_none()


def link_incident(session: Session, callout_id: int, incident_id: int) -> bool:
    """Make the callout responsible for the incident; False if another callout already is. A
    reopened incident can rejoin the storm callout it left: its old link is made active again."""
    link = callout_incidents.c
    try:
        with session.begin_nested():
            revived = cast(CursorResult[Any], session.execute(update(callout_incidents).where(
                link.callout_id == callout_id, link.incident_id == incident_id, ~link.active)
                .values(active=True))).rowcount
            if not revived:
                session.execute(callout_incidents.insert(), [{"callout_id": callout_id, "incident_id": incident_id,
                                                              "active": True}])
    except IntegrityError:
        return False
    return True


def unlink_incident(session: Session, incident_id: int) -> int | None:
    """The incident no longer needs its callout (closed, stopped); returns that callout's id."""
    callout_id = responsible_callout_id(session, incident_id)
    if callout_id is not None:
        session.execute(update(callout_incidents).where(callout_incidents.c.incident_id == incident_id,
                                                        callout_incidents.c.active).values(active=False))
    return callout_id


def linked_incident_ids(session: Session, callout_id: int) -> list[int]:
    return list(session.scalars(select(callout_incidents.c.incident_id).where(
        callout_incidents.c.callout_id == callout_id, callout_incidents.c.active)))


def attempt_views(callout: Callout) -> list[AttemptView]:
    return [AttemptView(a.id, a.person_key, a.round, a.step, a.state, a.outcome, a.created_at, a.ring_timeout,
                        a.answered_at, a.ended_at, a.retry_at) for a in callout.attempts]


def upcoming_call(session: Session, callout_id: int, settings: OncallSettings, people: Mapping[str, Person],
                  now: datetime, overrides: Sequence[Override] = ()) -> NextCall | None:
    """Whom an active callout rings next if nobody answers, and when (read only)."""
    callout = session.get(Callout, callout_id)
    if callout is None or callout.state not in CALLOUT_ACTIVE:
        return None
    return next_call(callout.state, contacts_for(callout, settings, people, now, overrides),
                     attempt_views(callout), now, settings, callout.hurried_at)


def contacts_for(callout: Callout, settings: OncallSettings, people: Mapping[str, Person], now: datetime,
                 overrides: Sequence[Override] = ()) -> list[Contact]:
    """Resolved now, so a rota hand-off during a long callout reaches the new on-call person.

    A drill's callout is the one place a drill's safety is enforced: whatever the policy, the
    rota or the fallback say, only the drill's participants are ever rung (a drill that has
    disappeared rings nobody)."""
    if callout.drill_id is not None:
        return drill_contacts(callout.drill_id, session_of(callout), settings, people, now, overrides)
    policy = settings.policies.get(callout.policy_key) or settings.policy_for(callout.type_key)
    return resolve_contacts(policy, settings.rotas, overrides, now, people=people, fallback=settings.fallback)


def drill_contacts(drill_id: int, session: Session, settings: OncallSettings, people: Mapping[str, Person],
                   now: datetime, overrides: Sequence[Override] = ()) -> list[Contact]:
    """The drill's policy (or its participants, in the order listed), then the fallback, kept to
    the participants."""
    drill = drills.participants(session, drill_id)
    if drill is None:
        return []
    allowed = set(drill.people)
    policy = settings.policies.get(drill.policy_key or "") or Policy(
        "drill", tuple(Step("person", key, settings.default_ring_timeout) for key in drill.people))
    found = resolve_contacts(policy, settings.rotas, overrides, now, people=people, fallback=settings.fallback)
    return [c for c in found if c.person in allowed]


def session_of(row: object) -> Session:
    found = object_session(row)
    if found is None:
        raise LookupError("row is not attached to a session")
    return found


def advance(session: Session, callout_id: int, settings: OncallSettings, people: Mapping[str, Person],
            now: datetime, overrides: Sequence[Override] = ()) -> Action:
    """Decide and record the next step of a callout; the caller carries out Dial / schedules wakes."""
    callout = session.get(Callout, callout_id, populate_existing=True)
    if callout is None:
        raise LookupError(f"no callout {callout_id}")
    session.refresh(callout, ["attempts"])
    contacts = contacts_for(callout, settings, people, now, overrides)
    action = next_action(callout.state, contacts, attempt_views(callout), now, settings, callout.hurried_at)
    match action:
        case Dial():
            return _dial(session, callout, action, now)
        case Wait(until=until) | RepeatAfter(until=until):
            callout.next_wake_at = until
        case Reconcile():
            callout.next_wake_at = now + timedelta(seconds=60)
        case MarkUnacknowledged(repeat_at=repeat_at):
            if set_callout_state(session, callout.id, CalloutState.UNACKNOWLEDGED, now,
                                 unacknowledged_at=now, next_wake_at=repeat_at):
                for incident in callout.incidents:
                    audit.record(session, "callout.unacknowledged", incident.id, callout_id=callout.id)
        case Done():
            callout.next_wake_at = None
    session.flush()
    return action


def _dial(session: Session, callout: Callout, action: Dial, now: datetime) -> Action:
    if callout.state == CalloutState.PENDING:
        if not set_callout_state(session, callout.id, CalloutState.DIALING, now, started_at=now):
            session.refresh(callout)
            return Done(callout.state)  # accepted or cancelled meanwhile
    c = action.contact
    attempt = Attempt(callout_id=callout.id, person_key=c.person, person_name=c.name, phone=c.phone,
                      round=action.round, step=action.step, source=c.source, ring_timeout=c.ring_timeout,
                      state=AttemptState.QUEUED, created_at=now)
    try:
        with session.begin_nested():
            session.add(attempt)
            session.flush()
    except IntegrityError:  # another worker queued this (round, step, person) first
        return Wait(now + timedelta(seconds=c.ring_timeout), None)
    callout.round, callout.step = action.round, action.step
    callout.next_wake_at = now + timedelta(seconds=c.ring_timeout) + timedelta(seconds=30)
    session.flush()
    return replace(action, attempt_id=attempt.id)


def record_call_placed(session: Session, attempt_id: int, call_sid: str, now: datetime) -> None:
    """Twilio accepted the call request: remember its CallSid so callbacks find the attempt."""
    attempt = session.get(Attempt, attempt_id)
    if attempt is None:
        raise LookupError(f"no attempt {attempt_id}")
    attempt.call_sid = call_sid
    session.flush()


def record_dial_failed(session: Session, attempt_id: int, error: str, now: datetime) -> bool:
    """The call could not even be placed (REST error): the attempt failed, move on."""
    return set_attempt_state(session, attempt_id, AttemptState.FAILED, now, twilio_error=error[:2000])


def abandon_attempt(session: Session, attempt_id: int, reason: str, now: datetime) -> bool:
    """For `Reconcile` when Twilio cannot say what happened: count the call as failed."""
    attempt = session.get(Attempt, attempt_id)
    if attempt is None or attempt.state not in ATTEMPT_LIVE:
        return False
    target = AttemptState.NO_KEY if attempt.state == AttemptState.ANSWERED else AttemptState.FAILED
    return set_attempt_state(session, attempt_id, target, now, twilio_error=reason[:2000])


def cancel(session: Session, callout_id: int, reason: str, now: datetime, actor: str = "system",
           because_of: Sequence[int] = ()) -> bool:
    """Stop a callout that no incident needs any more. False if it had already ended. The
    timeline of each incident still linked, and of `because_of` (the one just closed or
    stopped), says so."""
    incident_ids = sorted({*linked_incident_ids(session, callout_id), *because_of})
    done = set_callout_state(session, callout_id, CalloutState.CANCELLED, now, cancelled_at=now,
                             cancel_reason=reason, next_wake_at=None, storm_type=None)
    if done:
        session.execute(update(callout_incidents).where(callout_incidents.c.callout_id == callout_id)
                        .values(active=False))
        for incident_id in incident_ids:
            audit.record(session, "callout.cancelled", incident_id, actor=actor, callout_id=callout_id,
                         reason=reason)
    return done
