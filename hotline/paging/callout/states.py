"""Named states of callouts and attempts, and the one place their state columns are written.

Every write goes through a `Machine` (`hotline.base.state_machine`): a compare-and-set
(`UPDATE ... WHERE id = ? AND state IN (allowed sources)`), so two processes racing on the same
row cannot both win, on SQLite or PostgreSQL. A write that loses because the row already moved
on (a duplicate or late Twilio callback) returns False and changes nothing; a write no sequence
of events could explain raises `IllegalTransition`.

Twilio's CallStatus / AnsweredBy / Digits values are translated into our states here, at
the door, so nothing else in the code knows Twilio's vocabulary.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from hotline.base.state_machine import IllegalTransition, Machine
from hotline.base.states import (
    ATTEMPT_AFTER_ANSWER,
    ATTEMPT_ENDED,
    ATTEMPT_LIVE,
    ATTEMPT_VERDICTS,
    CALLOUT_TERMINAL,
    AttemptState,
    CalloutState,
)
from hotline.paging.callout.phrases import MENU_KEYS, Key
from hotline.paging.models import Attempt, Callout

CALLOUT_TRANSITIONS: dict[str, tuple[str, ...]] = {
    CalloutState.PENDING: (CalloutState.DIALING, CalloutState.UNACKNOWLEDGED, CalloutState.ACCEPTED,
                           CalloutState.CANCELLED),
    CalloutState.DIALING: (CalloutState.UNACKNOWLEDGED, CalloutState.ACCEPTED, CalloutState.CANCELLED),
    CalloutState.UNACKNOWLEDGED: (CalloutState.ACCEPTED, CalloutState.CANCELLED),
    CalloutState.ACCEPTED: (),
    CalloutState.CANCELLED: (),
}


A = AttemptState
_ENDS_UNANSWERED = (A.NO_ANSWER, A.BUSY, A.FAILED, A.CANCELED)
ATTEMPT_TRANSITIONS: dict[str, tuple[str, ...]] = {
    A.QUEUED: (A.RINGING, A.ANSWERED, A.MACHINE, *_ENDS_UNANSWERED),
    A.RINGING: (A.ANSWERED, A.MACHINE, *_ENDS_UNANSWERED),
    A.ANSWERED: (A.ACCEPTED, A.DECLINED, A.NO_KEY, A.MACHINE, A.TOO_LATE, A.FAILED, A.CANCELED),
    A.ACCEPTED: (A.COMPLETED,),
    A.DECLINED: (A.COMPLETED,),
    A.NO_KEY: (A.COMPLETED,),
    A.MACHINE: (A.COMPLETED,),
    A.TOO_LATE: (A.COMPLETED,),
    **{s: () for s in ATTEMPT_ENDED},
}
# How far along the life of a call a state is; an event for a lower or equal rank is stale.
ATTEMPT_RANK: dict[str, int] = {A.QUEUED: 0, A.RINGING: 1, A.ANSWERED: 2, **{s: 3 for s in ATTEMPT_AFTER_ANSWER},
                              **{s: 4 for s in ATTEMPT_ENDED}}


# --- Twilio vocabulary -------------------------------------------------------------------

CALL_STATUS = {  # Twilio CallStatus -> our attempt state
    "queued": A.QUEUED, "initiated": A.RINGING, "ringing": A.RINGING, "in-progress": A.ANSWERED,
    "answered": A.ANSWERED, "completed": A.COMPLETED, "busy": A.BUSY, "no-answer": A.NO_ANSWER,
    "failed": A.FAILED, "canceled": A.CANCELED,
}
# AnsweredBy: `unknown` counts as a person: hanging up on a responder costs more than a voicemail.
MACHINE_ANSWERS = {"machine_start", "machine_end_beep", "machine_end_silence", "machine_end_other", "fax"}
# The keys that settle an attempt, from the same table the menu is read out from.
DIGIT_INTENTS = {digit: action for digit, action in MENU_KEYS.items() if action in (Key.ACCEPT, Key.DECLINE)}


@dataclass(frozen=True)
class CallStatus:
    """A status callback, TwiML request or async-AMD callback for a call."""

    status: str
    answered_by: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class KeyPress:
    digits: str


Event = CallStatus | KeyPress


def event_from_twilio(form: Mapping[str, Any]) -> Event:
    """Read a Twilio webhook's form fields as one of our events."""
    if form.get("Digits"):
        return KeyPress(str(form["Digits"]).strip())
    error = form.get("ErrorCode") or form.get("SipResponseCode")
    status = str(form.get("CallStatus") or "in-progress")  # async AMD callbacks carry no CallStatus
    return CallStatus(status, form.get("AnsweredBy") or None, str(error) if error else None)


def digit_intent(digits: str) -> str | None:
    """"accept", "decline", or None for a key that means nothing (the caller is asked again)."""
    return DIGIT_INTENTS.get(digits[:1]) if digits else None


def attempt_path(current: str, status: CallStatus) -> list[str]:
    """The states an attempt passes through when `status` arrives; [] when it is stale.

    `completed` for a call that never reported a key means it was answered and hung up, so it
    passes through ANSWERED and NO_KEY (or MACHINE) first; each hop is a legal transition.
    """
    if status.status not in CALL_STATUS:
        raise IllegalTransition(f"unknown Twilio CallStatus {status.status!r}")
    target = CALL_STATUS[status.status]
    machine = (status.answered_by or "").lower() in MACHINE_ANSWERS
    if target == A.ANSWERED and machine:
        target = A.MACHINE
    if target == A.COMPLETED and current in ATTEMPT_LIVE:
        path = [A.ANSWERED] if current != A.ANSWERED else []
        return [*path, A.MACHINE if machine else A.NO_KEY, A.COMPLETED]
    if ATTEMPT_RANK[target] <= ATTEMPT_RANK[current]:
        return []
    if current in ATTEMPT_AFTER_ANSWER and target != A.COMPLETED:
        return []  # the verdict proves the call was answered; a contradicting status is stale
    return [target]


# --- Writing states ----------------------------------------------------------------------

# A callout refused a move it already made, or one after its end, is late news, not a bug.
CALLOUT = Machine("callout", Callout, CALLOUT_TRANSITIONS, touched="updated_at",
                  stale=lambda current, to: current == to or current in CALLOUT_TERMINAL)
# An attempt's event for a state it has passed (by rank) is stale: a late or repeated callback.
ATTEMPT = Machine("attempt", Attempt, ATTEMPT_TRANSITIONS,
                  stale=lambda current, to: ATTEMPT_RANK[to] <= ATTEMPT_RANK[current])
_STAMPS: dict[str, str] = {A.RINGING: "ring_started_at", A.ANSWERED: "answered_at"}


def set_callout_state(session: Session, callout_id: int, to: str, now: datetime, **fields: Any) -> bool:
    """Move a callout to `to` if its current state allows; False if it already moved past."""
    return bool(CALLOUT.move(session, callout_id, to, now=now, values=fields))


def set_attempt_state(session: Session, attempt_id: int, to: str, now: datetime, **fields: Any) -> bool:
    """Move an attempt to `to`; records the verdict and end time the first time they are known."""
    values: dict[str, Any] = dict(fields)
    if to in ATTEMPT_VERDICTS:
        values["outcome"] = to
    if not ATTEMPT.move(session, attempt_id, to, now=now, values=values):
        return False
    stamp = _STAMPS.get(to) or ("ended_at" if to in ATTEMPT_VERDICTS or to in ATTEMPT_ENDED else None)
    if stamp:
        table = Attempt.__table__
        session.execute(update(table).where(table.c.id == attempt_id, table.c[stamp].is_(None)).values({stamp: now}))
    return True
