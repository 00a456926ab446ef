"""What a Twilio webhook request looks like: its parameters and its X-Twilio-Signature.

The signature is Twilio's documented scheme: HMAC-SHA1 keyed with the auth token over the
full request URL followed by every POST parameter name+value, sorted by name, base64 encoded.
For GET requests the parameters are in the URL's query string and there is no body.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit

from sim.model import API_VERSION, Call, rfc2822


def signature(auth_token: str, url: str, params: Mapping[str, str] | None = None) -> str:
    payload = url
    for key in sorted(params or {}):
        payload += key + str((params or {})[key])
    digest = hmac.new(auth_token.encode("utf-8"), payload.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def url_with_query(url: str, params: Mapping[str, str]) -> str:
    """Append `params` to `url`'s query string, as Twilio does for GET webhooks."""
    if not params:
        return url
    parts = urlsplit(url)
    query = parts.query + ("&" if parts.query else "") + urlencode(list(params.items()))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def resolve(base_url: str | None, ref: str) -> str:
    """Resolve a (possibly relative) TwiML URL against the current document's URL."""
    ref = ref.strip()
    return urljoin(base_url, ref) if base_url else ref


def call_params(call: Call, status: str | None = None) -> dict[str, str]:
    """The standard parameters Twilio sends with every voice webhook for `call`."""
    params = {
        "AccountSid": call.account_sid,
        "ApiVersion": API_VERSION,
        "CallSid": call.sid,
        "CallStatus": status or call.status.value,
        "Called": call.to,
        "Caller": call.from_,
        "Direction": call.direction,
        "From": call.from_,
        "To": call.to,
    }
    if call.parent_sid:
        params["ParentCallSid"] = call.parent_sid
    if call.answered_by and not call.options.async_amd:
        params["AnsweredBy"] = call.answered_by
    return params


def status_callback_params(call: Call, status: str, seq: int, now: float) -> dict[str, str]:
    """Call-progress status callback parameters (CallbackSource, SequenceNumber, Timestamp...)."""
    params = call_params(call, status)
    params.update(
        {
            "CallbackSource": "call-progress-events",
            "SequenceNumber": str(seq),
            "Timestamp": rfc2822(now) or "",
        }
    )
    if status in ("completed", "busy", "no-answer", "failed", "canceled"):
        params["CallDuration"] = str(call.duration)
    if call.answered_by:
        params["AnsweredBy"] = call.answered_by
    return params
