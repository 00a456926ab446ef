"""File a message taken by the fallback or apology path as an incident with the caller's number,
and give back its reference so the caller hears it.

Runs at the Record's action (/voice/fallback-recorded, /voice/safe-recorded), which Twilio posts
with the full call parameters (`From`) before the recording-status callback, and again before that
callback (`from` / `cb` from its signed URL), so whichever comes first files the incident with the
caller and the callback number. Best effort: if the database does not answer, the caller still
hears a plain thank-you and the status callback files the message.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from flask import Response, current_app, request

from hotline.base import jobs
from hotline.base.config import Config
from hotline.base.models import Incident
from hotline.base.phone import to_e164
from hotline.base.runtime import get_runtime
from hotline.ivr.fallback import SOURCES
from hotline.paging import commands

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
            out = commands.take_message(s, call_sid=call_sid, caller_raw=from_raw, to_raw=to_raw, caller=caller,
                                        callback=callback, lang=cfg.default_language,
                                        record_max_seconds=cfg.record_max_seconds)
            ref = s.get_one(Incident, out.incident_ids[0]).ref
        jobs.dispatch(out.then)
        return ref
    except Exception:  # noqa: BLE001 - the caller is thanked whatever happens here
        log.exception("could not file the fallback message of call %s now; the status callback will", call_sid)
        return None


def keeps_caller(view: Callable[..., Response]) -> Callable[..., Response]:
    """For the recording-status callback: a message from the fallback or apology path is filed
    with the caller's number from the signed URL before the view attaches the recording, also
    when no Record action came first (nothing recorded, or callbacks out of order)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        if request.args.get("src") in SOURCES and request.form.get("CallSid"):
            file_message(current_app.config["HOTLINE"], request.form["CallSid"], request.args.get("from"),
                         None, request.args.get("cb"))
        return view(*args, **kwargs)

    return wrapper
