"""The acceptor's message to someone who reported by text: sent from the console, on the timeline.

Only while the report is accepted (someone owns it) and open. The reporter reads it in their
conversation's language, as sent, after a line naming the report; their answer joins the same
report (sending restarts the conversation's window, so a reply an hour later is not a new report).
A sender who texted STOP is not texted. Every message, sent or not, is one line on the timeline
with the console user who wrote it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from hotline.base import audit
from hotline.base.models import Incident, utcnow
from hotline.base.runtime import get_runtime
from hotline.base.states import IncidentStatus
from hotline.broadcasts import optouts
from hotline.provider import dialer
from hotline.textreports.models import TextConversation
from hotline.textreports.phrases import say

MAX_CHARS = 1000  # with the line naming the report, within Twilio's 1,600


@dataclass(frozen=True)
class Sent:
    ok: bool
    code: str  # sent | empty | too_long | not_text | not_accepted | opted_out | failed
    detail: str = ""


def message_reporter(incident_id: int, body: str, who: str) -> Sent:
    body = body.strip()
    if not body:
        return Sent(False, "empty")
    if len(body) > MAX_CHARS:
        return Sent(False, "too_long")
    db = get_runtime().db
    with db.session() as s:
        incident = s.get(Incident, incident_id)
        row = s.scalar(select(TextConversation).where(TextConversation.incident_id == incident_id)
                       .order_by(TextConversation.id.desc()).limit(1))
        if incident is None or row is None:
            return Sent(False, "not_text")
        if incident.status != IncidentStatus.ACCEPTED:
            return Sent(False, "not_accepted")
        sender, number, ref = row.sender, row.number, incident.ref or str(incident_id)
        text = say(row.language, "message", ref=ref, body=body)
        if optouts.blocked(s, [sender]):
            audit.record(s, "text.not_sent", incident_id, actor=who, to=sender, reason="STOP", body=text)
            return Sent(False, "opted_out")
    try:
        sid = dialer.send_sms(sender, number, text)
    except dialer.DialerError as exc:
        with db.session() as s:
            audit.record(s, "text.failed", incident_id, actor=who, to=sender, error=exc.describe(), role="message")
        return Sent(False, "failed", exc.describe())
    with db.session() as s:
        audit.record(s, "text.message", incident_id, actor=who, to=sender, sid=sid, body=text)
        live = s.get(TextConversation, row.id)
        if live is not None:
            live.last_at = utcnow()  # the reporter's answer joins this report
    return Sent(True, "sent")
