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

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from callout.decide import (
    Action,
    AttemptView,
    Dial,
    Done,
    MarkUnacknowledged,
    Reconcile,
    RepeatAfter,
    Wait,
    next_action,
)
from callout.rota import Contact, resolve_contacts
from callout.states import AttemptState, CalloutState, set_attempt_state, set_callout_state
from hotline.base import audit
from hotline.base.callout_models import Attempt, Callout, callout_incidents
from hotline.base.config import Person
from hotline.base.oncall_policy import OncallSettings, Override


def open_callout(session: Session, incident_ids: Sequence[int], type_key: str, settings: OncallSettings,
                 now: datetime, *, storm: bool = False) -> Callout:
    """Create the callout for these incidents, or return the one that already covers the first.

    Safe to run twice (a retried job): the unique incident link makes the second a no-op.
    """
    existing = callout_for_incident(session, incident_ids[0])
    if existing is not None:
        return existing
    policy = settings.policy_for(type_key)
    callout = Callout(state=CalloutState.PENDING, type_key=type_key, policy_key=policy.key, storm=storm,
                      created_at=now, updated_at=now)
    try:
        with session.begin_nested():
            session.add(callout)
            session.flush()
            session.execute(callout_incidents.insert(), [{"callout_id": callout.id, "incident_id": i}
                                                          for i in incident_ids])
    except IntegrityError:
        found = callout_for_incident(session, incident_ids[0])
        if found is None:
            raise
        return found
    for incident_id in incident_ids:
        audit.record(session, "callout.opened", incident_id, callout_id=callout.id, policy=policy.key)
    return callout


def callout_for_incident(session: Session, incident_id: int) -> Callout | None:
    return session.execute(
        select(Callout).join(callout_incidents).where(callout_incidents.c.incident_id == incident_id)
    ).scalar_one_or_none()


def attempt_views(callout: Callout) -> list[AttemptView]:
    return [AttemptView(a.id, a.person_key, a.round, a.step, a.state, a.outcome, a.created_at, a.ring_timeout,
                        a.answered_at, a.ended_at) for a in callout.attempts]


def contacts_for(callout: Callout, settings: OncallSettings, people: Mapping[str, Person], now: datetime,
                 overrides: Sequence[Override] = ()) -> list[Contact]:
    """Resolved now, so a rota hand-off during a long callout reaches the new on-call person."""
    policy = settings.policies.get(callout.policy_key) or settings.policy_for(callout.type_key)
    return resolve_contacts(policy, settings.rotas, overrides, now, people=people, fallback=settings.fallback)


def advance(session: Session, callout_id: int, settings: OncallSettings, people: Mapping[str, Person],
            now: datetime, overrides: Sequence[Override] = ()) -> Action:
    """Decide and record the next step of a callout; the caller carries out Dial / schedules wakes."""
    callout = session.get(Callout, callout_id, populate_existing=True)
    if callout is None:
        raise LookupError(f"no callout {callout_id}")
    session.refresh(callout, ["attempts"])
    contacts = contacts_for(callout, settings, people, now, overrides)
    action = next_action(callout.state, contacts, attempt_views(callout), now, settings)
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
    if attempt is None or attempt.state not in AttemptState.LIVE:
        return False
    target = AttemptState.NO_KEY if attempt.state == AttemptState.ANSWERED else AttemptState.FAILED
    return set_attempt_state(session, attempt_id, target, now, twilio_error=reason[:2000])


def cancel(session: Session, callout_id: int, reason: str, now: datetime, actor: str = "system") -> bool:
    """Stop a callout (incident closed, drill over). False if it had already ended."""
    done = set_callout_state(session, callout_id, CalloutState.CANCELLED, now, cancelled_at=now,
                             cancel_reason=reason, next_wake_at=None)
    if done:
        callout = session.get(Callout, callout_id)
        for incident in callout.incidents if callout else []:
            audit.record(session, "callout.cancelled", incident.id, actor=actor, callout_id=callout_id,
                         reason=reason)
    return done

