"""The legal-hold button on an incident page (admins only): a CSRF-checked POST that puts the
incident on hold, or releases it, through the lifecycle's `legal_hold` commands, acted as the
logged-in user with the reason they typed. While held, retention purges none of its recordings
or transcripts (README "Retention")."""

from __future__ import annotations

from flask import Blueprint, request
from werkzeug.wrappers import Response

from hotline.lifecycle import jobs, legal_hold
from hotline.lifecycle.commands import Actor, Channel

from . import actions
from .auth import guard, require_admin
from .incident_actions import _actor, _back

bp = Blueprint("console_legal_hold", __name__)
bp.before_request(guard())
bp.before_request(require_admin)

MESSAGES = {"held": "On legal hold: retention keeps its recordings and transcripts.",
            "already_held": "Already on legal hold.", "released": "Legal hold released.",
            "not_held": "It is not on legal hold.", "reason_needed": "Give a reason.",
            "no_incident": "No such incident."}

ZH_LEGAL_HOLD = {  # merged into the console's ZH by i18n.py
    "Legal hold": "法律保全",
    "Put on legal hold": "設為法律保全",
    "Release legal hold": "解除法律保全",
    "On legal hold: retention keeps its recordings and transcripts.":
        "已設為法律保全：保存期限到期也不會刪除錄音與逐字稿。",
    "Already on legal hold.": "已在法律保全中。",
    "Legal hold released.": "已解除法律保全。",
    "It is not on legal hold.": "未在法律保全中。",
    "Give a reason.": "請說明原因。",
    "Deleted by the retention policy.": "已依保存期限刪除。",
}


@bp.post("/console/incidents/<int:incident_id>/legal-hold")
def toggle(incident_id: int) -> Response:
    command = legal_hold.release_hold if request.form.get("release") else legal_hold.hold
    out = jobs.run(command, incident_id, Actor(_actor(), Channel.CONSOLE), request.form.get("reason", ""))
    return _back(incident_id, actions.Outcome(out.ok, MESSAGES.get(out.code, out.message)))
