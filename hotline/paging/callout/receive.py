"""The narrow door webhooks use: apply one event to an attempt, and accept atomically.

`receive` never decides whom to ring next; it says whether the engine should look again
(`advance=True`) and what the caller on the line should hear (`followup`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.base import audit
from hotline.base.metrics import CALLOUT_ACCEPT_SECONDS, observe_since
from hotline.base.states import ATTEMPT_VERDICTS, CALLOUT_ACTIVE, AttemptState, CalloutState
from hotline.paging.callout.states import (
    CallStatus,
    Event,
    KeyPress,
    attempt_path,
    digit_intent,
    set_attempt_state,
    set_callout_state,
)
from hotline.paging.models import Attempt, Callout


class NextStep:
    NONE = "none"  # nothing for the caller: a status callback, or a stale one
    PROMPT = "prompt"  # a person answered: play the incident and ask for a key
    REPROMPT = "reprompt"  # a key that means nothing: ask again
    ACCEPTED = "accepted"  # they accepted: confirm, then the job layer stops the others
    DECLINED = "declined"  # they passed: thank them
    TOO_LATE = "too_late"  # someone else accepted first (message names them), or it was cancelled
    HANG_UP = "hang_up"  # a machine answered: end the call


@dataclass(frozen=True)
class Received:
    applied: bool  # the event changed something
    followup: str
    advance: bool  # the attempt reached its verdict while the callout is active: run the engine now
    attempt_id: int | None = None
    callout_id: int | None = None
    message: str = ""


@dataclass(frozen=True)
class AcceptResult:
    ok: bool
    accepted_by: str | None  # person key of whoever holds the callout
    accepted_by_name: str | None
    message: str
    incident_ids: tuple[int, ...] = ()


def find_attempt(session: Session, ref: int | str) -> Attempt | None:
    """By our id (int) or Twilio's CallSid (str)."""
    if isinstance(ref, int):
        return session.get(Attempt, ref)
    return session.execute(select(Attempt).where(Attempt.call_sid == ref)).scalar_one_or_none()


def receive(session: Session, ref: int | str, event: Event, now: datetime) -> Received:
    """Apply one Twilio event to the attempt it concerns; duplicates and late ones change nothing."""
    attempt = find_attempt(session, ref)
    if attempt is None:
        return Received(False, NextStep.NONE, False, message=f"no callout attempt for {ref!r}")
    if isinstance(event, KeyPress):
        return _key(session, attempt, event, now)
    return _status(session, attempt, event, now)


def _status(session: Session, attempt: Attempt, event: CallStatus, now: datetime) -> Received:
    had_verdict = attempt.outcome is not None
    extra: dict[str, object] = {}
    if event.answered_by:
        extra["answered_by"] = event.answered_by
    if event.error:
        extra["twilio_error"] = event.error
    applied = False
    for state in attempt_path(attempt.state, event):
        fields = extra if state == AttemptState.ANSWERED or state in ATTEMPT_VERDICTS else {}
        applied = set_attempt_state(session, attempt.id, state, now, **fields) or applied
    session.refresh(attempt)
    callout = attempt.callout
    session.refresh(callout)
    verdict_now = applied and not had_verdict and attempt.outcome is not None
    if verdict_now:
        audit_attempt(session, callout, attempt)
    advance = verdict_now and callout.state in CALLOUT_ACTIVE
    followup = NextStep.NONE
    if applied and attempt.state == AttemptState.ANSWERED:
        followup = NextStep.PROMPT if callout.state in CALLOUT_ACTIVE else NextStep.TOO_LATE
    elif applied and attempt.state == AttemptState.MACHINE:
        followup = NextStep.HANG_UP
    return Received(applied, followup, advance, attempt.id, callout.id, _handled_message(callout))


def _key(session: Session, attempt: Attempt, event: KeyPress, now: datetime) -> Received:
    intent = digit_intent(event.digits)
    if attempt.state in (AttemptState.QUEUED, AttemptState.RINGING):
        set_attempt_state(session, attempt.id, AttemptState.ANSWERED, now)  # the key proves it was answered
    if intent is None:
        return Received(False, NextStep.REPROMPT, False, attempt.id, attempt.callout_id)
    if intent == "accept":  # the acceptor must be written on the incidents in the same transaction
        raise ValueError("an accept key goes through hotline.lifecycle.commands.accept, not receive()")
    applied = set_attempt_state(session, attempt.id, AttemptState.DECLINED, now, digits=event.digits)
    session.refresh(attempt)
    callout = attempt.callout
    session.refresh(callout)
    if applied:
        audit_attempt(session, callout, attempt)
    return Received(applied, NextStep.DECLINED, applied and callout.state in CALLOUT_ACTIVE,
                    attempt.id, callout.id)


def accept(session: Session, callout_id: int, now: datetime, *, attempt_id: int | None = None,
           person: str | None = None, name: str | None = None) -> AcceptResult:
    """Make one person the acceptor of a callout; exactly one caller ever gets ok=True.

    The conditional UPDATE is the lock: whoever's UPDATE matches the still-active row wins,
    everyone after sees rowcount 0 and is told who won. Give `attempt_id` (pressed 1 on a
    call) or `person` (accepted from the dashboard).
    """
    attempt = session.get(Attempt, attempt_id) if attempt_id is not None else None
    if attempt is not None:
        person, name = attempt.person_key, attempt.person_name
    if not person:
        raise ValueError("accept needs attempt_id or person")
    won = set_callout_state(session, callout_id, CalloutState.ACCEPTED, now, accepted_by=person,
                            accepted_by_name=name or person, accepted_at=now, accepted_attempt_id=attempt_id,
                            next_wake_at=None, storm_type=None)
    callout = session.get(Callout, callout_id)
    assert callout is not None
    session.refresh(callout)
    incident_ids = tuple(i.id for i in callout.incidents)
    if won:
        observe_since(CALLOUT_ACCEPT_SECONDS, callout.created_at, now)
        if attempt is not None:
            set_attempt_state(session, attempt.id, AttemptState.ACCEPTED, now, digits="1")
        for incident_id in incident_ids:
            audit.record(session, "callout.accepted", incident_id, actor=person, callout_id=callout_id,
                         attempt_id=attempt_id, name=name or person)
        return AcceptResult(True, person, name or person, f"accepted by {name or person}", incident_ids)
    if attempt is not None:
        set_attempt_state(session, attempt.id, AttemptState.TOO_LATE, now, digits="1")
    return AcceptResult(False, callout.accepted_by, callout.accepted_by_name, _handled_message(callout),
                        incident_ids)


def _handled_message(callout: Callout) -> str:
    if callout.state == CalloutState.ACCEPTED:
        return f"already accepted by {callout.accepted_by_name or callout.accepted_by}"
    if callout.state == CalloutState.CANCELLED:
        return f"callout cancelled: {callout.cancel_reason or 'no reason given'}"
    return ""


def audit_attempt(session: Session, callout: Callout, attempt: Attempt) -> None:
    for incident in callout.incidents:
        audit.record(session, "callout.attempt", incident.id, actor="system", callout_id=callout.id,
                     attempt_id=attempt.id, person=attempt.person_key, round=attempt.round, step=attempt.step,
                     outcome=attempt.outcome)
