"""Every answer under /voice (the caller's IVR and the responder's calls) is TwiML.

Twilio reads an empty body, an HTML error page or a 500 as an application error and the caller
hears "an application error has occurred". So: status callbacks that have nothing to say answer
an empty <Response/>; a request broken to read, or a crash that escaped a view's own guard, gets
the apology that still takes a message, built without reading the form.

A body over VOICE_MAX_BODY (or a Content-Length that says so, true or not) is no Twilio webhook:
Twilio's are a few kilobytes. It is refused with 413 before anything reads it, and audited as
`oversized_webhook` (one row per source per minute, like forged ones).
"""

from __future__ import annotations

import logging

from flask import Flask, Response, request
from twilio.twiml.voice_response import VoiceResponse
from werkzeug.exceptions import HTTPException, InternalServerError, RequestEntityTooLarge

from hotline.base import audit_rollup
from hotline.base.config import Config
from hotline.base.runtime import get_runtime
from hotline.ivr import twiml
from hotline.ivr.fallback import FALLBACK_TEXTS

log = logging.getLogger("hotline.voice")
PREFIX = "/voice/"
PASS_THROUGH = {403, 404, 405, 413}  # forged, unknown route, wrong method, too big: not a caller's request
VOICE_MAX_BODY = 1024 * 1024  # Twilio's webhooks are a few KB; the console's uploads have their own 32 MB
EMPTY_TWIML = str(VoiceResponse())


def register(app: Flask, cfg: Config) -> None:
    def apology() -> Response:
        r = twiml.apology(cfg.public_url, FALLBACK_TEXTS, cfg.voices, cfg.record_max_seconds)
        return Response(str(r), status=200, mimetype="text/xml")

    @app.after_request
    def _never_empty(response: Response) -> Response:
        if not request.path.startswith(PREFIX) or response.status_code not in (200, 204):
            return response
        if response.status_code == 204 or not response.get_data():
            # the same response object: what runs on its close (queued follow-ups) stays with it
            response.status_code = 200
            response.set_data(EMPTY_TWIML)
            response.mimetype = "text/xml"
        return response

    @app.before_request
    def _too_big() -> None:
        if not request.path.startswith(PREFIX):
            return
        if (request.content_length or 0) > VOICE_MAX_BODY:
            raise RequestEntityTooLarge()  # before the body is read, whatever it really holds
        request.max_content_length = VOICE_MAX_BODY  # a chunked body: reading stops at the limit with 413

    @app.errorhandler(HTTPException)
    def _unreadable(exc: HTTPException) -> Response | HTTPException:
        if request.path.startswith(PREFIX) and exc.code == 413:
            _audit_oversized()
        if not request.path.startswith(PREFIX) or (exc.code or 500) in PASS_THROUGH:
            return exc
        log.warning("voice webhook %s could not be read: %s", request.path, exc)
        return apology()

    @app.errorhandler(InternalServerError)
    def _crashed(exc: InternalServerError) -> Response | InternalServerError:
        if not request.path.startswith(PREFIX):
            return exc
        log.error("voice webhook %s crashed outside its guard", request.path, exc_info=exc.original_exception)
        return apology()


def _audit_oversized() -> None:
    """Best effort, like forged webhooks: logging must never turn the 413 into a 500."""
    log.warning("refused an oversized webhook path=%s remote=%s length=%s", request.path, request.remote_addr,
                request.content_length)
    try:
        with get_runtime().db.session() as s:
            audit_rollup.count(s, "oversized_webhook", request.remote_addr or "unknown", request.path[:200],
                               content_length=request.content_length)
    except Exception:  # noqa: BLE001
        log.exception("could not audit an oversized webhook")
