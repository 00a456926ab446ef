"""Twilio webhooks for the responder's call, under /voice/callout (signed), and recording media.

Thin: parse the form, call one `hotline.responder.conversation` function in one transaction, queue
what it asks for, render TwiML. Any failure still answers with TwiML that tells the
responder to call the hotline, never a bare 500 that Twilio reads out as an application error.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, abort, current_app, request, send_file

from hotline.base import audit, jobs
from hotline.base.config import Config
from hotline.base.log_context import about
from hotline.base.models import Recording, utcnow
from hotline.base.runtime import get_runtime
from hotline.base.security import twilio_webhook
from hotline.base.states import ATTEMPT_ENDED, RecordingStatus
from hotline.paging.callout import links
from hotline.paging.callout.phrases import person_language
from hotline.paging.models import Attempt
from hotline.responder import conversation
from hotline.responder.twiml import failure, render

log = logging.getLogger("callout.webhooks")
bp = Blueprint("callout", __name__)


def _cfg() -> Config:
    return current_app.config["HOTLINE"]


def _xml(body: object) -> Response:
    return Response(str(body), mimetype="text/xml")


def responder_safe(view: Callable[..., Response]) -> Callable[..., Response]:
    """Like `hotline.ivr.voice.caller_safe`, for the responder: on any error, ask them to call in."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        with about(attempt=request.args.get("a"), call_sid=request.form.get("CallSid")):
            return _answered_or_apology(view, *args, **kwargs)

    return wrapper


def _answered_or_apology(view: Callable[..., Response], *args: Any, **kwargs: Any) -> Response:
    try:
        return view(*args, **kwargs)
    except Exception:
        log.exception("callout webhook %s failed; telling the responder to call the hotline", request.path)
        try:
            cfg: Config | None = _cfg()
        except Exception:  # noqa: BLE001 - the config itself may be what broke
            cfg = None
        lang, drill = _listener_if_known(cfg)
        return _xml(failure(cfg, lang, drill))


def _listener_if_known(cfg: Config | None) -> tuple[str | None, bool]:
    """The responder's language for the failure message, and whether the call is a drill's, if
    the database still answers; else (None, False)."""
    try:
        with get_runtime().db.session() as s:
            attempt = s.get(Attempt, _attempt_id())
            if attempt is None:
                return None, False
            return (person_language(cfg, attempt.person_key) if cfg else None), attempt.callout.drill_id is not None
    except Exception:  # noqa: BLE001 - whatever broke the webhook may break this too
        log.warning("could not tell the responder's language for the failure message", exc_info=True)
        return None, False


def _attempt_id() -> int:
    value = request.args.get("a", "")
    if not value.isdigit():
        raise ValueError(f"callout webhook without an attempt id: {request.full_path}")
    return int(value)


def _int_arg(name: str) -> int:
    value = request.args.get(name, "0")
    return int(value) if value.isdigit() else 0


def _not_this_call(s: Any, attempt_id: int) -> str | None:
    """Why a signed keypress must change nothing: its attempt's call has ended (a captured request
    replayed later), or the CallSid is another call's. None when it fits."""
    attempt = s.get(Attempt, attempt_id)
    sid = request.form.get("CallSid", "")
    if attempt is None:
        return None  # the conversation answers "no longer needed" itself
    if attempt.state in ATTEMPT_ENDED:  # the call's end (`ended_at` marks the verdict, which comes earlier)
        return "the call has ended"
    if attempt.call_sid and sid != attempt.call_sid:
        return "the CallSid is another call's"
    return None


def _reply(fn: Callable[..., conversation.Reply], *args: Any) -> Response:
    attempt_id = _attempt_id()
    with get_runtime().db.session() as s:
        reason = _not_this_call(s, attempt_id)
        if reason is None:
            reply = fn(s, _cfg(), attempt_id, *args)
        else:
            log.warning("callout webhook %s for attempt %s refused: %s", request.path, attempt_id, reason)
            audit.record(s, "webhook_call_mismatch", None, actor=request.form.get("From") or "anonymous",
                         call_sid=request.form.get("CallSid", "")[:64], path=request.path, reason=reason,
                         attempt_id=attempt_id)
            reply = conversation.no_longer_needed(_cfg())
        notice = conversation.drill_notice(s, _cfg(), attempt_id)
    jobs.dispatch(reply.then)
    return _xml(render(_cfg(), attempt_id, reply, notice))


@bp.post("/voice/callout/answer")
@twilio_webhook
@responder_safe
def answer() -> Response:
    return _reply(conversation.answered, request.form.to_dict(), utcnow())


@bp.post("/voice/callout/menu")
@twilio_webhook
@responder_safe
def menu() -> Response:
    return _reply(conversation.menu_choice, request.form.get("Digits", ""), _int_arg("t"), _int_arg("r"), utcnow())


@bp.post("/voice/callout/accepted")
@twilio_webhook
@responder_safe
def accepted() -> Response:
    return _reply(conversation.after_accept_choice, request.form.get("Digits", ""))


@bp.post("/voice/callout/connected")
@twilio_webhook
@responder_safe
def connected() -> Response:
    attempt_id = _attempt_id()
    with get_runtime().db.session() as s:
        reply = conversation.connect_result(s, _cfg(), attempt_id, request.form.get("DialCallStatus", "failed"))
        notice = conversation.drill_notice(s, _cfg(), attempt_id)
    return _xml(render(_cfg(), attempt_id, reply, notice))


@bp.post("/voice/callout/status")
@twilio_webhook
def status() -> Response:
    """Call progress. Errors are logged, not raised: the watchdog settles a lost update."""
    try:
        with get_runtime().db.session() as s:
            then = conversation.status(s, _attempt_id(), request.form.to_dict(), utcnow())
        jobs.dispatch(then)
    except Exception:
        log.exception("callout status callback %s failed; the watchdog will catch up", request.full_path)
    return Response("", status=204)


@bp.get("/media/recording/<int:recording_id>/<token>.wav")
def recording_media(recording_id: int, token: str) -> Response:
    """Unsigned on purpose (Twilio fetches <Play> media without a signature); the token is the key."""
    cfg = _cfg()
    if not links.token_valid(cfg, recording_id, token):
        abort(404)
    with get_runtime().db.session() as s:
        rec = s.get(Recording, recording_id)
        path = Path(rec.path) if rec is not None and rec.status == RecordingStatus.STORED and rec.path else None
    if path is None or not path.is_file():
        abort(404)
    return send_file(path, mimetype="audio/wav", max_age=0)
