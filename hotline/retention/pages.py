"""The legal-hold button on an incident page (admins only): a CSRF-checked POST that puts the
incident on hold, or releases it, through the lifecycle's `legal_hold` commands, acted as the
logged-in user with the reason they typed. While held, retention purges none of its recordings
or transcripts (README "Retention")."""

from __future__ import annotations

from flask import Blueprint, request
from werkzeug.wrappers import Response

from hotline.base import jobs
from hotline.base.lifecycle import Actor, Channel
from hotline.retention import legal_hold
from hotline.web.actions import Notice, back, viewer_name
from hotline.web.auth import guard, require_admin

bp = Blueprint("console_legal_hold", __name__)
bp.before_request(guard())
bp.before_request(require_admin)

MESSAGES = {"held": "On legal hold: retention keeps its recordings and transcripts.",
            "already_held": "Already on legal hold.", "released": "Legal hold released.",
            "not_held": "It is not on legal hold.", "reason_needed": "Give a reason.",
            "no_incident": "No such incident."}


@bp.post("/console/incidents/<int:incident_id>/legal-hold")
def toggle(incident_id: int) -> Response:
    command = legal_hold.release_hold if request.form.get("release") else legal_hold.hold
    out = jobs.run(command, incident_id, Actor(viewer_name(), Channel.CONSOLE), request.form.get("reason", ""))
    return back(incident_id, Notice(out.ok, MESSAGES.get(out.code, out.message)))
