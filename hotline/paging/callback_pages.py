"""The "call back" list's buttons: an admin marks an abandoned call called back, or dismisses
it with a reason. One lifecycle command each (hotline.paging.callbacks), audited there."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from werkzeug.wrappers import Response

from hotline.base import jobs
from hotline.base.lifecycle import Actor, Channel
from hotline.base.states import CallbackState
from hotline.paging.callbacks import settle_abandoned
from hotline.web.auth import current_viewer, guard, require_admin
from hotline.web.i18n import N_, gettext
from hotline.web.safe_redirect import same_origin_path

bp = Blueprint("console_callbacks", __name__)
bp.before_request(guard())
bp.before_request(require_admin)

MESSAGES = {"called_back": N_("Marked as called back."), "dismissed": N_("Dismissed."),
            "reason_required": N_("Say why it needs no call back."), "already_settled": N_("Someone already did."),
            "no_call": N_("No such call.")}


@bp.post("/console/calls/<int:call_id>/called-back", defaults={"state": "called_back"})
@bp.post("/console/calls/<int:call_id>/dismiss", defaults={"state": "dismissed"})
def settle(call_id: int, state: str) -> Response:
    viewer = current_viewer()
    actor = Actor(viewer.name if viewer else "", Channel.CONSOLE)
    out = jobs.run(settle_abandoned, call_id, CallbackState(state), actor, request.form.get("reason", ""))
    flash(gettext(MESSAGES.get(out.code, out.message)), "ok" if out.ok else "error")
    return redirect(same_origin_path(request.form.get("next")) or url_for("console.incidents"))
