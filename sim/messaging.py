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
