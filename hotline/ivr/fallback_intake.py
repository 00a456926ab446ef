"""File a message taken by the fallback or apology path as an incident with the caller's number,
and give back its reference so the caller hears it.

Runs at the Record's action (/voice/fallback-recorded, /voice/safe-recorded), which Twilio posts
with the full call parameters (`From`) before the recording-status callback, so the incident that
callback finds already has the caller and the callback number. Best effort: if the database does
not answer, the caller still hears a plain thank-you and the status callback files the message.
"""

from __future__ import annotations

import logging

from hotline.base.config import Config
from hotline.base.phone import to_e164
from hotline.base.runtime import get_runtime
from hotline.lifecycle import incidents

log = logging.getLogger("hotline.fallback")


def file_message(cfg: Config, call_sid: str, from_raw: str | None, to_raw: str | None,
                 callback_raw: str | None) -> str | None:
    """The incident's reference, creating the incident for this call if needed; None on failure."""
    if not call_sid:
        return None
    caller = to_e164(from_raw, cfg.default_region)
    callback = to_e164(callback_raw, cfg.default_region)
    try:
        with get_runtime().db.session() as s:
            call = incidents.register_call(s, call_sid, from_raw, to_raw)
            call.from_number = call.from_number or from_raw
            inc = incidents.incident_for_call(s, call_sid)
            if inc is None:
                inc = incidents.classify(s, call_sid, "unclassified", cfg.default_language, caller)
                inc.source = "fallback"
            inc.caller = inc.caller or caller
            if callback and inc.callback_number != callback:
                incidents.set_fields(s, inc.id, {"callback_number": callback})
            inc.callback_number = inc.callback_number or caller
            return inc.ref
    except Exception:  # noqa: BLE001 - the caller is thanked whatever happens here
        log.exception("could not file the fallback message of call %s now; the status callback will", call_sid)
        return None
