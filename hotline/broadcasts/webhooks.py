"""Twilio's webhooks for broadcasts (signed): SMS delivery status (`/sms/status`), and the
broadcast call (`/voice/broadcast/...`): what the recipient hears, their keypress, the call's status.

Thin: parse the form, move the delivery or record the answer in one transaction, render TwiML.
A voice route that fails still answers TwiML (`hotline.ivr.twiml_guard` covers /voice/), and a
status callback answers empty, so Twilio never reads out an error.

    What the recipient hears: "This is a message from Example Org. <message>. Are you safe?
    Press 1: I am safe. Press 2: I need help." -> 1 -> "Thank you. Your answer is recorded: I am safe."
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, request
from sqlalchemy import select
from twilio.twiml.voice_response import Gather, VoiceResponse

from hotline.base import audit
from hotline.base.config import Config
from hotline.base.jobs import dispatch
from hotline.base.models import utcnow
from hotline.base.runtime import get_runtime
from hotline.base.security import twilio_webhook
from hotline.broadcasts import commands, deliveries, links, phrases
from hotline.broadcasts.models import Broadcast, Delivery, DeliveryState, Recipient
from hotline.broadcasts.questions import QUESTIONS

log = logging.getLogger("hotline.broadcasts")
bp = Blueprint("broadcast_hooks", __name__)
GATHER_SECONDS = 8
REPEATS = 2


def _cfg() -> Config:
    return current_app.config["HOTLINE"]


def _xml(r: VoiceResponse) -> Response:
    return Response(str(r), mimetype="text/xml")


def _delivery_id() -> int:
    return request.args.get("d", 0, type=int)


@bp.post("/sms/status")
@twilio_webhook
def sms_status() -> Response:
    """MessageStatus for a broadcast text (`?d=` names its delivery); other texts have nothing to record.

    "sent" is answered without the database: the sender records the text as sent when
    Messages.create returns, "delivered" (or a failure) moves it from `sending` too when it comes
    first, and a row whose sender died is looked up at Twilio (`sending.reconcile_stale`). Every
    text brings its "sent" during a broadcast, a query in a web worker each for nothing."""
    form = request.form
    delivery_id = _delivery_id()
    word = form.get("MessageStatus") or form.get("SmsStatus") or ""
    if delivery_id and word.lower() != "sent":
        error = form.get("ErrorCode")
        problem = f"{error}: {form.get('ErrorMessage', '')}".strip(": ") if error else None
        with get_runtime().db.session() as s:
            deliveries.status(s, delivery_id, "sms", word, form.get("MessageSid"), problem, utcnow())
            then = deliveries.newly_due(s)
        dispatch(then)
    return Response(status=204)


def _say(target: VoiceResponse | Gather, words: str, lang: str) -> None:
    """One <Say> in the listener's language, in the voice config.toml chooses for it (`[hotline] voices`:
    one Twilio documents for that language, `hotline.base.voices`)."""
    target.say(words, **_cfg().voices.say(lang))


def _call_context(delivery_id: int) -> tuple[Recipient, Broadcast] | None:
    with get_runtime().db.session() as s:
        row = s.execute(select(Recipient, Broadcast).join(Delivery, Delivery.recipient_id == Recipient.id)
                        .join(Broadcast, Broadcast.id == Recipient.broadcast_id)
                        .where(Delivery.id == delivery_id)).first()
        if row is None:
            return None
        s.expunge_all()
        return row.Recipient, row.Broadcast


def _not_this_call(delivery_id: int, call_sid: str) -> str | None:
    """Why a keypress must change nothing: it is not from this delivery's call, or that call's
    answer is already recorded (the call hangs up after an answer, so a second one is a replay)."""
    with get_runtime().db.session() as s:
        row = s.execute(select(Delivery.provider_id, Delivery.state).where(Delivery.id == delivery_id)).first()
    if row is None:
        return None
    if row.provider_id and call_sid != row.provider_id:
        return "the CallSid is not this delivery's call"
    if row.state == DeliveryState.REPLIED:
        return "this call's answer is recorded already"
    return None


def _message(cfg: Config, r: VoiceResponse, recipient: Recipient, b: Broadcast, delivery_id: int, again: bool) -> None:
    lang = recipient.language
    body = b.bodies.get(lang) or next(iter(b.bodies.values()), "")
    opening = phrases.text(lang, "voice_again") if again else phrases.text(lang, "voice_intro", org=cfg.org_name)
    question = QUESTIONS.get(b.question or "")
    if question is None:
        _say(r, f"{opening} {body}", lang)
        _say(r, f"{phrases.text(lang, 'voice_again')} {body} {phrases.text(lang, 'goodbye')}", lang)
        r.hangup()
        return
    g = r.gather(action=links.hook(cfg, "key", delivery_id) + f"&n={1 if again else 0}", method="POST",
                 num_digits=1, timeout=GATHER_SECONDS, action_on_empty_result=True)
    _say(g, f"{opening} {body} {phrases.voice_menu(question, lang)}", lang)


@bp.post("/voice/broadcast/answer")
@twilio_webhook
def answer() -> Response:
    cfg, r, delivery_id = _cfg(), VoiceResponse(), _delivery_id()
    found = _call_context(delivery_id)
    if found is None:
        r.hangup()
        return _xml(r)
    with get_runtime().db.session() as s:  # answered: the message is being heard
        deliveries.status(s, delivery_id, "voice", "in-progress", request.form.get("CallSid"), None, utcnow())
    _message(cfg, r, *found, delivery_id, again=False)
    return _xml(r)


@bp.post("/voice/broadcast/key")
@twilio_webhook
def key() -> Response:
    cfg, r, delivery_id = _cfg(), VoiceResponse(), _delivery_id()
    found = _call_context(delivery_id)
    if found is None:
        r.hangup()
        return _xml(r)
    recipient, b = found
    question, lang = QUESTIONS.get(b.question or ""), recipient.language
    digits = (request.form.get("Digits") or "").strip()
    refused = _not_this_call(delivery_id, request.form.get("CallSid", ""))
    if refused:  # a captured keypress replayed must not undo a later answer (issue #24, finding 6)
        log.warning("broadcast call webhook for delivery %s refused: %s", delivery_id, refused)
        with get_runtime().db.session() as s:
            audit.record(s, "webhook_call_mismatch", None, actor=request.form.get("From") or "anonymous",
                         call_sid=request.form.get("CallSid", "")[:64], path=request.path, reason=refused,
                         delivery_id=delivery_id)
        r.hangup()
        return _xml(r)
    if question is not None and question.answer(digits) is not None:
        with get_runtime().db.session() as s:
            out = commands.reply(s, recipient.id, digits, "voice", cfg, delivery_id=delivery_id)
        dispatch(out.then)
        _say(r, f"{phrases.thanks(question, digits, lang)} {phrases.text(lang, 'goodbye')}", lang)
        r.hangup()
        return _xml(r)
    if request.args.get("n", 0, type=int) + 1 < REPEATS:
        _message(cfg, r, recipient, b, delivery_id, again=True)
        return _xml(r)
    _say(r, phrases.text(lang, "goodbye"), lang)
    r.hangup()
    return _xml(r)


@bp.post("/voice/broadcast/status")
@twilio_webhook
def call_status() -> Response:
    delivery_id = _delivery_id()
    if delivery_id:
        form = request.form
        with get_runtime().db.session() as s:
            deliveries.status(s, delivery_id, "voice", form.get("CallStatus", ""), form.get("CallSid"),
                              form.get("SipResponseCode") or form.get("CallStatus"), utcnow())
            then = deliveries.newly_due(s)
        dispatch(then)
    return Response(status=204)
