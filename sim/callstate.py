"""The call state machine, with Twilio's CallStatus values as the named states.

Kept as plain data + functions so the REST layer, the runner and the tests all agree on
which transitions are legal and which states are final.
"""

from __future__ import annotations

from enum import StrEnum


class CallStatus(StrEnum):
    QUEUED = "queued"
    RINGING = "ringing"
    IN_PROGRESS = "in-progress"
    COMPLETED = "completed"
    BUSY = "busy"
    NO_ANSWER = "no-answer"
    FAILED = "failed"
    CANCELED = "canceled"

    def __str__(self) -> str:
        return self.value


FINAL: frozenset[CallStatus] = frozenset(
    {CallStatus.COMPLETED, CallStatus.BUSY, CallStatus.NO_ANSWER, CallStatus.FAILED, CallStatus.CANCELED}
)

_ALLOWED: dict[CallStatus, frozenset[CallStatus]] = {
    CallStatus.QUEUED: frozenset({CallStatus.RINGING, CallStatus.IN_PROGRESS} | FINAL),
    CallStatus.RINGING: frozenset({CallStatus.IN_PROGRESS} | FINAL),
    CallStatus.IN_PROGRESS: frozenset({CallStatus.COMPLETED, CallStatus.FAILED}),
}


class IllegalTransition(RuntimeError):
    """A bug in the simulator: something tried to move a call along an edge Twilio never takes."""


def is_final(status: CallStatus) -> bool:
    return status in FINAL


def can_transition(current: CallStatus, new: CallStatus) -> bool:
    return new in _ALLOWED.get(current, frozenset())


def check_transition(current: CallStatus, new: CallStatus) -> CallStatus:
    if not can_transition(current, new):
        raise IllegalTransition(f"call cannot go from {current} to {new}")
    return new


def status_event(status: CallStatus) -> str:
    """Name of the StatusCallbackEvent that reports a move into `status`.

    Final states other than `completed` are reported through the `completed` event, as Twilio does.
    """
    if status is CallStatus.RINGING:
        return "ringing"
    if status is CallStatus.IN_PROGRESS:
        return "answered"
    if status is CallStatus.QUEUED:
        return "initiated"
    return "completed"


def update_outcome(current: CallStatus, requested: str) -> CallStatus | None:
    """What a REST `Status=` update does to a call in `current`; None means no effect.

    `canceled` only ends queued/ringing calls; `completed` ends any live call (a call that was
    never answered ends as `canceled`).
    """
    if is_final(current):
        return None
    if requested == "canceled":
        return CallStatus.CANCELED if current in (CallStatus.QUEUED, CallStatus.RINGING) else None
    if requested == "completed":
        return CallStatus.COMPLETED if current is CallStatus.IN_PROGRESS else CallStatus.CANCELED
    return None
