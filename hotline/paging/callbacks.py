"""Following up abandoned calls: callers who hung up before choosing a type.

Rules:
- An abandoned call stays on the console's "call back" list until a named person marks it
  called back, or dismisses it with a reason (a wrong number, a test call).
- It is settled once: a second mark, from another console or the same double-click, changes
  nothing and says who settled it first.
- Every mark is on the audit timeline, with who, through which channel, and the reason.
- It never touches an incident or a callout: an abandoned call has no report to page for.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, update
from sqlalchemy.orm import Session

from hotline.base import audit
from hotline.base.lifecycle import Actor, Outcome
from hotline.base.models import Call, utcnow
from hotline.base.states import CallbackState


def settle_abandoned(s: Session, call_id: int, state: CallbackState, actor: Actor, reason: str = "") -> Outcome:
    """Mark an abandoned call called back or dismissed (a dismissal needs a reason)."""
    reason = reason.strip()[:2000]
    if state == CallbackState.DISMISSED and not reason:
        return Outcome(False, "reason_required", "dismissing a call back needs a reason")
    if not actor.who or actor.who == "system":
        return Outcome(False, "reason_required", "a call back is settled by a named person")
    moved = cast(CursorResult[Any], s.execute(
        update(Call).where(Call.id == call_id, Call.abandoned.is_(True), Call.callback_state.is_(None))
        .values(callback_state=state, callback_by=actor.who, callback_at=utcnow()))).rowcount
    call = s.get(Call, call_id)
    if call is None or not call.abandoned:
        return Outcome(False, "no_call", "no such abandoned call")
    if not moved:
        return Outcome(False, "already_settled", f"already {call.callback_state} by {call.callback_by}")
    audit.record(s, f"abandoned_call_{state}", None, actor=actor.who, via=str(actor.channel), call_id=call_id,
                 caller=call.from_number, reason=reason)
    return Outcome(True, str(state), f"{state} by {actor.who}")
