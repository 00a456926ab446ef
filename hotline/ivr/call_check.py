"""Does a mid-flow webhook belong to the call it claims? The signed URL says where a caller is
(flow, node, incident); the CallSid says who is calling. Both come from Twilio, but a URL's
incident id must not be trusted over the call: a request replayed or built for one call must not
change another caller's report, and a CallSid never seen at /voice/incoming has no place mid-flow.
"""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from hotline.base.config import Config
from hotline.base.models import Call
from hotline.ivr.flow_engine import CallState

CALLS = Call.__table__
# Built once: this runs on every mid-flow webhook, in the webhook's own unit of work.
THE_CALL = select(CALLS.c.incident_id, CALLS.c.purpose, CALLS.c.ended_at).where(CALLS.c.sid == bindparam("sid"))


def mismatch(s: Session, cfg: Config, state: CallState, call_sid: str, after_end: bool = False) -> str | None:
    """Why this webhook does not fit its call, or None when it does.

    In the caller's own flow the URL's incident must be the one this call filed. In a role flow
    (operator, staff, admin) the incident is one the person chose, so the call must be a role call.
    A call Twilio has said ended takes no more keypresses: a captured signed request replayed
    later changes nothing (`after_end`: the one webhook Twilio may send after the end, the
    recording's action when the caller hung up mid-recording, which only notes a recording by
    its RecordingSid, once).
    """
    if not call_sid:
        return "no CallSid"
    call = s.connection().execute(THE_CALL, {"sid": call_sid}).first()
    if call is None:
        return "CallSid never seen at /voice/incoming"
    if call.ended_at is not None and not after_end:
        return "the call has ended"
    if state.flow == cfg.flow:
        if state.incident is not None and call.incident_id != state.incident:
            return "the incident in the URL belongs to another call"
    elif call.purpose in ("report", "callout"):
        return f"a {call.purpose} call at a {state.flow} step"
    return None
