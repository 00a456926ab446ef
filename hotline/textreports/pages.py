"""A report by text on the console: its panel on the incident page (the conversation, the photos),
the photos themselves (behind the login, never public), and the acceptor's message to the reporter
(admins, CSRF-checked, confirmed in the page's dialog, audited on the timeline)."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, request, send_file
from werkzeug.wrappers import Response

from hotline.base.runtime import get_runtime
from hotline.textreports import outgoing, view
from hotline.web.actions import Notice, back, viewer_name
from hotline.web.auth import guard, require_admin
from hotline.web.i18n import N_

bp = Blueprint("console_textreports", __name__, template_folder="templates")
bp.before_request(guard())


def text_panel(incident_id: int) -> view.Panel | None:
    with get_runtime().db.session() as s:
        return view.panel(s, incident_id)


@bp.app_context_processor
def _helpers() -> dict[str, object]:
    return {"text_panel": text_panel}


@bp.get("/console/text-photos/<int:media_id>")
def photo(media_id: int) -> Response:
    cfg = get_runtime().config
    with get_runtime().db.session() as s:
        found = view.stored_photo(s, media_id)
    if found is None:
        abort(404)
    location, kind = found
    path = Path(location).resolve()
    if not path.is_relative_to(cfg.recordings_dir.resolve()) or not path.is_file():
        abort(404)  # a row pointing outside the store is never served
    image = kind.startswith("image/") and kind != "image/svg+xml"  # an SVG could carry script
    response = send_file(path, mimetype=kind if image else "application/octet-stream", as_attachment=not image,
                         download_name=path.name, conditional=True, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


SENT = {  # what the admin reads after sending, by the outcome's code
    "sent": N_("Texted to the reporter."), "empty": N_("Write the message first."),
    "too_long": N_("The message is too long for a text (at most 1,000 characters)."),
    "not_text": N_("This report was not made by text."),
    "not_accepted": N_("Only an accepted, open report's reporter can be texted."),
    "opted_out": N_("Not sent: the reporter replied STOP."), "failed": N_("The text could not be sent: %(error)s"),
}


@bp.post("/console/incidents/<int:incident_id>/text-reporter")
def message(incident_id: int) -> Response:
    require_admin()
    sent = outgoing.message_reporter(incident_id, request.form.get("body", ""), viewer_name())
    return back(incident_id, Notice(sent.ok, SENT[sent.code], {"error": sent.detail}))
