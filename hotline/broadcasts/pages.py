"""The broadcasts pages of the console: the list and a new broadcast (admins), and one broadcast
with its live tallies per group and site, who needs help and who has not answered, refreshed by
short polling like the incident list (`live.js` fetches the fragment every two seconds).

Every button is one broadcast command (`hotline.broadcasts.commands`), acted as the logged-in
admin; viewers read.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from hotline.base.jobs import run
from hotline.base.lifecycle import Outcome
from hotline.base.runtime import get_runtime
from hotline.broadcasts import commands, tally
from hotline.broadcasts.models import Broadcast
from hotline.broadcasts.questions import QUESTIONS
from hotline.broadcasts.settings import BroadcastSettings
from hotline.directory.models import CHANNELS, DirectoryGroup
from hotline.web.actions import console_actor
from hotline.web.auth import SAFE_METHODS, guard, require_admin
from hotline.web.i18n import gettext

bp = Blueprint("console_broadcasts", __name__, template_folder="templates")
bp.before_request(guard())
MESSAGES = {
    "drafted": "Broadcast drafted: a second person must approve it.", "sending": "Broadcast approved: sending.",
    "own_draft": "You drafted this broadcast: a second person must approve it.",
    "cancelled": "Broadcast stopped.", "already_sent": "Already approved.",
}


@bp.before_request
def _admins_act() -> None:
    if request.method not in SAFE_METHODS:
        require_admin()



def _said(out: Outcome) -> None:
    flash(gettext(MESSAGES[out.code]) if out.code in MESSAGES else (out.message or out.code),
          "ok" if out.ok else "error")


@bp.get("/console/broadcasts")
def index() -> str:
    with get_runtime().db.session() as s:
        rows = list(s.scalars(select(Broadcast).order_by(Broadcast.id.desc()).limit(100)))
        groups = list(s.execute(select(DirectoryGroup.key, DirectoryGroup.name).order_by(DirectoryGroup.key)))
        s.expunge_all()
    return render_template("broadcasts/broadcasts.html", broadcasts=rows, groups=groups, channels=CHANNELS,
                           questions=QUESTIONS)


@bp.post("/console/broadcasts")
def create() -> Response:
    cfg = get_runtime().config
    settings = cfg.section(BroadcastSettings)
    form = request.form
    question = form.get("question") or None
    spec = commands.Spec(form.get("title", ""), {lang: form.get(f"body_{lang}", "") for lang in cfg.languages},
                         tuple(form.getlist("groups")), tuple(form.getlist("channels")),
                         question if question in QUESTIONS else None, settings.retry_minutes, settings.help_type)
    out = run(commands.draft, spec, console_actor(), settings.two_person_rule)
    _said(out)
    if out.subject_id is None:
        return redirect(url_for("console_broadcasts.index"))
    return redirect(url_for("console_broadcasts.page", broadcast_id=out.subject_id))


def _view(broadcast_id: int) -> dict[str, object]:
    with get_runtime().db.session() as s:
        found = tally.tally(s, broadcast_id)
        if found is None:
            abort(404)
        s.expunge_all()
    return {"t": found, "b": found.broadcast}


@bp.get("/console/broadcasts/<int:broadcast_id>")
def page(broadcast_id: int) -> str:
    return render_template("broadcasts/broadcast.html", **_view(broadcast_id))


@bp.get("/console/broadcasts/<int:broadcast_id>/live")
def live(broadcast_id: int) -> Response:
    response = Response(render_template("broadcasts/_tally.html", **_view(broadcast_id)), mimetype="text/html")
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.post("/console/broadcasts/<int:broadcast_id>/approve")
def approve(broadcast_id: int) -> Response:
    _said(run(commands.approve, broadcast_id, console_actor()))
    return redirect(url_for("console_broadcasts.page", broadcast_id=broadcast_id))


@bp.post("/console/broadcasts/<int:broadcast_id>/cancel")
def cancel(broadcast_id: int) -> Response:
    _said(run(commands.cancel, broadcast_id, console_actor()))
    return redirect(url_for("console_broadcasts.page", broadcast_id=broadcast_id))
