"""File a message taken by the fallback or apology path as an incident with the caller's number,
and give back its reference so the caller hears it.

Runs at the Record's action (/voice/fallback-recorded, /voice/safe-recorded), which Twilio posts
with the full call parameters (`From`) before the recording-status callback, and again before that
callback (`from` / `cb` from its signed URL), so whichever comes first files the incident with the
caller and the callback number. Best effort: if the database does not answer, the caller still
hears a plain thank-you and the status callback files the message. What `commands.report` asks
for afterwards (a real report stops a running drill: its calls end) is handed to the dispatcher
with the rest, as on the IVR's own path.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from flask import Response, current_app, request
from sqlalchemy import func, update

from hotline.base import jobs
from hotline.base.config import Config
from hotline.base.jobs import Followup
from hotline.base.lifecycle import Actor, Channel
from hotline.base.models import Call, Incident
from hotline.base.phone import to_e164
from hotline.base.runtime import get_runtime
from hotline.ivr.fallback import SOURCES
from hotline.paging import commands, incidents

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
            incidents.register_call(s, call_sid, from_raw, to_raw)
            # Write the call row before reading its incident: the row lock (or SQLite's write lock)
            # makes the action and the status callback file one incident, not one each.
            s.execute(update(Call).where(Call.sid == call_sid)
                      .values(from_number=func.coalesce(Call.from_number, from_raw)))
            inc = incidents.incident_for_call(s, call_sid)
            then: list[Followup] = []
            if inc is None:
                out = commands.report(s, call_sid=call_sid, type_key="unclassified", lang=cfg.default_language,
                                      caller=caller, actor=Actor(caller or "anonymous", Channel.CALLER),
                                      record_max_seconds=cfg.record_max_seconds, source="fallback")
                then.extend(out.then)
                inc = s.get(Incident, out.incident_ids[0])
                assert inc is not None
            missing = {"caller": caller if not inc.caller else None,
                       "callback_number": callback if callback and inc.callback_number != callback
                       else (caller if not inc.callback_number else None)}
            commands.set_details(s, inc.id, {k: v for k, v in missing.items() if v}, Actor("fallback", Channel.CALLER))
            then.extend(commands.caller_done(s, inc.id).then)  # the message is taken: page now
            ref = inc.ref
        jobs.dispatch(then)
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
