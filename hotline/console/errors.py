"""Console error pages in the site's layout and the viewer's language, with a way back.

Only for the console's own paths and a browser's GET of an unknown address: a Twilio webhook,
the events API or the dark site keeps its own answers (TwiML, JSON, its page), so these handlers
hand anything else back to Flask unchanged.
"""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.wrappers import Response

from hotline.web.i18n import N_

log = logging.getLogger("hotline.console")

TITLES = {401: N_("Your session has ended. Log in again."),
          404: N_("Page not found."), 403: N_("Only administrators can do this."), 405: N_("Not allowed here."),
          500: N_("Something went wrong on our side.")}


def _console(path: str) -> bool:
    """The console's paths, and a browser's GET of an address no route knows ("/incidents/3": a
    link typed or cut short), which deserves a page with a way back rather than Werkzeug's."""
    if path == "/" or path.startswith("/console"):
        return True
    accepts = request.accept_mimetypes
    return (request.method == "GET" and request.url_rule is None
            and accepts.best_match(["text/html", "application/json"]) == "text/html")


def register(app: Flask) -> None:
    def page(exc: HTTPException) -> Response | HTTPException | tuple[str, int]:
        if not _console(request.path):
            return exc
        code = exc.code or 500
        detail = exc.description if code in (403,) else None  # ours, marked for translation
        return render_template("console/error.html", code=code, title=TITLES.get(code, exc.name), detail=detail), code

    for code in (401, 403, 404, 405):
        app.register_error_handler(code, page)

    @app.errorhandler(InternalServerError)
    def _server_error(exc: InternalServerError) -> Response | HTTPException | tuple[str, int]:
        log.error("console error on %s: %s", request.path, exc.original_exception or exc)
        return page(exc)
