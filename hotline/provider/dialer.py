"""The only code that calls Twilio's REST API for the callout: place, end, look up calls; send SMS.

Errors are sorted here into two kinds, because the caller reacts differently:
- `PermanentError` (a 4xx such as 21211/21217 invalid number): retrying cannot help, the
  attempt has failed and the callout moves on to the next person at once;
- `TransientError` (429, 5xx, connection trouble): the same request is retried with backoff
  and the person is not skipped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from hotline.provider import rest

log = logging.getLogger("callout.dialer")
STATUS_EVENTS = ["initiated", "ringing", "answered", "completed"]
T = TypeVar("T")


class DialerError(Exception):
    def __init__(self, message: str, code: int | None = None, http_status: int | None = None):
        super().__init__(message)
        self.code = code
        self.http_status = http_status

    def describe(self) -> str:
        return f"{self.code or self.http_status or 'error'}: {self}"


class PermanentError(DialerError):
    """Twilio refused the request for a reason that a retry will not change."""


class TransientError(DialerError):
    """Rate limit, Twilio outage or network trouble: try the same request again later."""


@dataclass(frozen=True)
class CallRequest:
    to: str
    from_: str
    url: str
    status_callback: str
    ring_timeout: int


def _client() -> Client:
    return rest.client()


def _classify(exc: Exception) -> DialerError:
    if isinstance(exc, TwilioRestException):
        status = int(exc.status or 0)
        code = int(exc.code) if exc.code else None
        message = str(exc.msg or exc)
        if status == 429 or status >= 500 or status == 0:
            return TransientError(message, code, status)
        return PermanentError(message, code, status)
    return TransientError(f"{type(exc).__name__}: {exc}")


def ask(request: Callable[[], T], classify: Callable[[Exception], DialerError] = _classify) -> T:
    """One request to Twilio, its failure as one of ours (`classify`: passing or permanent)."""
    try:
        return request()
    except (TwilioException, OSError) as exc:
        raise classify(exc) from exc


def ask_or_none(request: Callable[[], T], classify: Callable[[Exception], DialerError] = _classify) -> T | None:
    """`ask`, with None where Twilio does not know the resource (404)."""
    try:
        return request()
    except TwilioRestException as exc:
        if exc.status == 404:
            return None
        raise classify(exc) from exc
    except (TwilioException, OSError) as exc:
        raise classify(exc) from exc


def place_call(req: CallRequest) -> str:
    """Calls.create for one responder; returns the CallSid.

    DetectMessageEnd (rather than Enable) so that when a voicemail answers, our message is
    spoken after the beep and is actually recorded; a person is still detected at once.
    """
    call = ask(lambda: _client().calls.create(
        to=req.to, from_=req.from_, url=req.url, method="POST",
        status_callback=req.status_callback, status_callback_method="POST",
        status_callback_event=STATUS_EVENTS, timeout=req.ring_timeout,
        machine_detection="DetectMessageEnd",
    ))
    return str(call.sid)


LIVE_CALL_STATES = ("queued", "initiated", "ringing", "in-progress")


def live_calls(to: str, from_: str, limit: int = 20) -> list[str]:
    """CallSids of the calls from `from_` to `to` that Twilio holds and that have not ended, newest
    first: whether a Calls.create that got no answer in time placed the call after all."""
    found = ask(lambda: _client().calls.list(to=to, from_=from_, limit=limit))
    return [str(c.sid) for c in found if str(c.status) in LIVE_CALL_STATES]


def fetch_status(call_sid: str) -> str | None:
    """Twilio's current CallStatus for a call, or None when Twilio does not know the call."""
    call = ask_or_none(_client().calls(call_sid).fetch)
    return str(call.status) if call is not None else None


def cancel_call(call_sid: str) -> None:
    """Stop a call that is still ringing (no effect once answered or over)."""
    _update(call_sid, status="canceled")


def say_and_hang_up(call_sid: str, twiml: str) -> None:
    """Replace what an answered call is doing with `twiml` (e.g. "already accepted by ...")."""
    _update(call_sid, twiml=twiml)


def _update(call_sid: str, **changes: str) -> None:
    try:
        _client().calls(call_sid).update(**changes)
    except TwilioRestException as exc:
        if exc.code == 21220 or exc.status == 404:
            return  # the call already ended: nothing to stop
        raise _classify(exc) from exc
    except (TwilioException, OSError) as exc:
        raise _classify(exc) from exc


def send_sms(to: str, from_: str, body: str, status_callback: str | None = None) -> str:
    """Messages.create; returns the MessageSid. With `status_callback`, Twilio posts the message's
    MessageStatus (sent, delivered, undelivered, failed) there."""
    extra = {"status_callback": status_callback} if status_callback else {}
    msg = ask(lambda: _client().messages.create(to=to, from_=from_, body=body, **extra))
    return str(msg.sid)


def message_status(sid: str) -> tuple[str, int | None] | None:
    """Twilio's current (MessageStatus, ErrorCode) of a message, or None when Twilio does not know it."""
    msg = ask_or_none(_client().messages(sid).fetch)
    if msg is None:
        return None
    return str(msg.status), (int(msg.error_code) if msg.error_code else None)


def messages_to(to: str, from_: str, limit: int = 100) -> list[tuple[str, str]]:
    """(MessageSid, body) of the latest messages Twilio holds from `from_` to `to`, newest first:
    whether a worker that died around Messages.create had sent a message (so it is never sent twice)."""
    found = ask(lambda: _client().messages.list(to=to, from_=from_, limit=limit))
    return [(str(m.sid), str(m.body or "")) for m in found]
