"""Every answer under /voice (the caller's IVR and the responder's calls) is TwiML.

Twilio reads an empty body, an HTML error page or a 500 as an application error and the caller
hears "an application error has occurred". So: status callbacks that have nothing to say answer
an empty <Response/>; a request too big or broken to read, or a crash that escaped a view's own
guard, gets the apology that still takes a message, built without reading the form.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, request
from twilio.twiml.voice_response import VoiceResponse
from werkzeug.exceptions import HTTPException, InternalServerError

from hotline.base.config import Config
from hotline.ivr import twiml
from hotline.ivr.fallback import FALLBACK_TEXTS

log = logging.getLogger("hotline.voice")
PREFIX = "/voice/"
PASS_THROUGH = {403, 404, 405}  # forged, unknown route, wrong method: not a caller's request
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

    @app.errorhandler(HTTPException)
    def _unreadable(exc: HTTPException) -> Response | HTTPException:
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
