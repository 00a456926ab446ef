"""`/sms/incoming`, the number's messaging webhook: a channel that serves every feature.

Twilio posts each text (and MMS) to the number it was sent to, signed like the voice
webhooks. The text is offered to each feature's `TextHandler` in order (the registry's `texts`),
each in a transaction of its own: STOP/START, a broadcast's answer, a responder's "1 1012", and
last a report by text, which takes anything else, so no text is ever dropped (a handler that
declines or fails is rolled back and the text goes on to the next). The first handler that
answers has it: its transaction commits, its reply goes back as Messaging TwiML, and its
follow-ups are dispatched once the answer is sent. The sender's number is caller ID, not an
identity.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, after_this_request, request
from twilio.twiml.messaging_response import MessagingResponse

from hotline.base import jobs
from hotline.base.jobs import Followup
from hotline.base.phone import to_e164
from hotline.base.registry import InboundText, TextReply, registry
from hotline.base.runtime import get_runtime
from hotline.base.security import twilio_webhook

log = logging.getLogger("hotline.sms")
bp = Blueprint("sms", __name__, url_prefix="/sms")
MAX_MEDIA = 10  # Twilio's limit per MMS
MAX_BODY = 1600  # Twilio's limit for one message's text


def _xml(answer: str | None) -> Response:
    r = MessagingResponse()
    if answer:
        r.message(answer)
    return Response(str(r), status=200, mimetype="text/xml")


def read(form: dict[str, str]) -> InboundText:
    """The text as Twilio sent it: sid, sender (E.164 when it parses), our number, body, media."""
    count = min(int(form.get("NumMedia") or 0) if (form.get("NumMedia") or "0").isdigit() else 0, MAX_MEDIA)
    media = tuple(u for u in (form.get(f"MediaUrl{i}", "") for i in range(count)) if u)
    sender = form.get("From", "")
    return InboundText(form.get("MessageSid") or form.get("SmsSid") or "", to_e164(sender) or sender,
                       form.get("To", ""), (form.get("Body") or "")[:MAX_BODY], media)


@bp.post("/incoming")
@twilio_webhook
def incoming() -> Response:
    text = read(request.form.to_dict())
    if not text.sid or not text.sender:
        return _xml(None)
    reply: TextReply | None = None
    db = get_runtime().db
    for handler in registry().texts:
        try:
            with db.session() as s:  # one transaction per handler: what one that declines did is undone
                reply = handler.handle(s, text)
                if reply is None:
                    s.rollback()
        except Exception:  # noqa: BLE001 - the text must still reach a handler (the report is last)
            log.exception("text %s: the %s handler failed; offering it to the next", text.sid, handler.name)
            continue
        if reply is not None:
            log.info("text %s from %s taken by %s", text.sid, text.sender, handler.name)
            break
    if reply is None:
        return _xml(None)
    if reply.then:
        _dispatch_after_response(reply.then)
    return _xml(reply.answer)


def _dispatch_after_response(followups: tuple[Followup, ...]) -> None:
    @after_this_request
    def _later(response: Response) -> Response:
        response.call_on_close(lambda: jobs.dispatch(followups))
        return response
