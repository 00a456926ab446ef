"""SMS: Messages.create records the message, hands it to the sim phone and reports status.

Status callbacks go out as Twilio's do for an outbound message: `sent`, then `delivered` (or
`undelivered`/`failed` with ErrorCode, as `sim.delivery` says for the number), with
MessageSid/SmsSid, MessageStatus/SmsStatus, From, To, AccountSid, ApiVersion.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sim.model import API_VERSION, Message, new_sid
from sim.webhooks import send

if TYPE_CHECKING:
    from sim.server import Sim


def send_message(
    sim: Sim,
    to: str,
    from_: str,
    body: str,
    status_callback: str | None,
    media_urls: list[str],
    messaging_service_sid: str | None,
) -> dict[str, Any]:
    """Messages.create: record, deliver to the sim phone, report sent/delivered. Returns the resource."""
    msg = Message(
        new_sid("SM"),
        sim.account_sid,
        to,
        from_,
        body,
        sim.now(),
        status_callback=status_callback,
        media_urls=media_urls,
        messaging_service_sid=messaging_service_sid,
    )
    with sim.cond:
        sim.add_message(msg)
        sim.phone(to).messages.append({"sid": msg.sid, "from": from_, "body": body, "t": msg.created})
        sim.append_event(
            {
                "t": sim.now(),
                "call_sid": None,
                "kind": "sms",
                "sid": msg.sid,
                "to": to,
                "from": from_,
                "body": body,
            }
        )
        created = msg.to_json()
    sim.spawn(lambda: _deliver(sim, msg), f"sms-{msg.sid[-6:]}")
    return created


def _deliver(sim: Sim, msg: Message) -> None:
    final, error_code, error_message = sim.delivery.final(msg.to)
    for status in ("sent", final):
        with sim.cond:
            msg.status = status
            if status == final:
                msg.error_code = error_code
        if not msg.status_callback:
            continue
        params: dict[str, str] = {
            "AccountSid": sim.account_sid,
            "ApiVersion": API_VERSION,
            "From": msg.from_,
            "To": msg.to,
            "MessageSid": msg.sid,
            "SmsSid": msg.sid,
            "MessageStatus": status,
            "SmsStatus": status,
        }
        if status == final and error_code is not None:
            params.update(ErrorCode=str(error_code), ErrorMessage=error_message or "")
        result = send(msg.status_callback, "POST", params, sim.auth_token, sim.webhook_timeout)
        with sim.cond:
            sim.append_event(
                {
                    "t": sim.now(),
                    "call_sid": None,
                    "message_sid": msg.sid,
                    **result.log_entry("message-status"),
                }
            )


# -- inbound: a phone texts one of the account's numbers ------------------------------------------
# Twilio's default handling on a long code (its "support for opt-out keywords" article and the
# Advanced Opt-Out guide): these words, alone in the message in any case, opt the sender out of
# (or back into) messages from that number; Twilio answers them itself and still passes the
# message to the number's webhook. While opted out, Messages.create to the sender fails with
# 21610, and a TwiML <Message> reply to them is not delivered.
OPT_OUT_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
OPT_IN_WORDS = frozenset({"START", "YES", "UNSTOP"})
HELP_WORDS = frozenset({"HELP", "INFO"})
TWILIO_OPT_OUT_REPLY = ("You have successfully been unsubscribed. You will not receive any more messages from "
                        "this number. Reply START to resubscribe.")
TWILIO_OPT_IN_REPLY = "You have successfully been re-subscribed to messages from this number. Reply HELP for help. " \
                      "Reply STOP to unsubscribe. Msg&Data Rates May Apply."
TWILIO_HELP_REPLY = "Reply STOP to unsubscribe. Msg&Data Rates May Apply."


def keyword(body: str) -> str | None:
    """STOP, START or HELP when the whole message is one of Twilio's default keywords."""
    word = body.strip().upper()
    if word in OPT_OUT_WORDS:
        return "STOP"
    if word in OPT_IN_WORDS:
        return "START"
    if word in HELP_WORDS:
        return "HELP"
    return None


def receive_text(sim: Sim, from_: str, to: str, body: str, given: list[tuple[str | bytes, str]]) -> list[str]:
    """An SMS/MMS from a sim phone to one of the account's numbers: keywords handled as Twilio
    does, then the incoming-message webhook (POST, signed) to the number's `sms_url` with
    Twilio's parameters; a <Message> in the TwiML answer is sent back to the sender. Returns the
    bodies sent back (Twilio's own keyword answer first). `given`: (url, content type) pairs, or
    (the file's bytes, content type), which the sim keeps and serves at a Twilio-shaped MediaUrl."""
    with sim.cond:
        number = sim.numbers.get(to)
    if number is None:
        raise ValueError(f"{to} is not one of the account's numbers")
    sid = new_sid("MM" if given else "SM")
    media = [(f if isinstance(f, str) else sim.store_media(sid, f, kind), kind) for f, kind in given]
    msg = Message(sid, sim.account_sid, to, from_, body, sim.now(),
                  status="received", direction="inbound", media_urls=[u for u, _ in media])
    word = keyword(body)
    replies: list[str] = []
    with sim.cond:
        sim.add_message(msg)
        sim.append_event({"t": sim.now(), "call_sid": None, "kind": "sms_in", "sid": msg.sid, "to": to,
                          "from": from_, "body": body})
        if word == "STOP":
            sim.opted_out.add((to, from_))
            replies.append(TWILIO_OPT_OUT_REPLY)
        elif word == "START":
            sim.opted_out.discard((to, from_))
            replies.append(TWILIO_OPT_IN_REPLY)
        elif word == "HELP":
            replies.append(TWILIO_HELP_REPLY)
    for text in replies:  # Twilio's own answers come from the number, before the webhook's
        _to_phone(sim, from_, to, text)
    if not number.sms_url:
        return replies
    params = {"MessageSid": msg.sid, "SmsMessageSid": msg.sid, "SmsSid": msg.sid, "AccountSid": sim.account_sid,
              "From": from_, "To": to, "Body": body, "NumMedia": str(len(media)), "NumSegments": "1",
              "SmsStatus": "received", "ApiVersion": API_VERSION}
    for i, (url, content_type) in enumerate(media):
        params[f"MediaUrl{i}"] = url
        params[f"MediaContentType{i}"] = content_type
    if word is not None:
        params["OptOutType"] = word
    result = send(number.sms_url, "POST", params, sim.auth_token, sim.webhook_timeout)
    with sim.cond:
        sim.append_event({"t": sim.now(), "call_sid": None, **result.log_entry("sms_incoming")})
    if not result.ok:
        return replies
    for text in message_bodies(result.body):
        with sim.cond:
            blocked = (to, from_) in sim.opted_out
        if blocked:
            continue
        _to_phone(sim, from_, to, text)
        replies.append(text)
    return replies


def message_bodies(twiml: bytes) -> list[str]:
    """The text of each <Message> (its text, or its <Body>) in a Messaging TwiML answer; an empty
    <Response/> sends nothing. Anything that is not TwiML is Twilio's error 12100: nothing sent."""
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(twiml)
    except ET.ParseError:
        return []
    if root.tag != "Response":
        return []
    out = []
    for message in root.findall("Message"):
        body = message.find("Body")
        text = (body.text if body is not None else message.text) or ""
        if text.strip():
            out.append(text.strip())
    return out


def _to_phone(sim: Sim, phone: str, number: str, body: str) -> None:
    reply = Message(new_sid("SM"), sim.account_sid, phone, number, body, sim.now(), status="delivered",
                    direction="outbound-reply")
    with sim.cond:
        sim.add_message(reply)
        sim.phone(phone).messages.append({"sid": reply.sid, "from": number, "body": body, "t": reply.created})
