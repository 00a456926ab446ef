"""The buttons on an incident page. Admins only; every one is a CSRF-checked POST that
redirects back (post/redirect/get), so a reload never repeats an action."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from werkzeug.wrappers import Response

from hotline.paging import console_actions as actions
from hotline.web.auth import current_viewer, guard, require_admin
from hotline.web.i18n import gettext
from hotline.web.safe_redirect import same_origin_path

bp = Blueprint("console_actions", __name__)
bp.before_request(guard())
bp.before_request(require_admin)


def _back(incident_id: int, outcome: actions.Outcome) -> Response:
    """Back where the button was (the list or the incident page), with what happened, translated."""
    flash(gettext(outcome.message, **outcome.values), "ok" if outcome.ok else "error")
    target = same_origin_path(request.form.get("next"))
    return redirect(target or url_for("console_incident.page", incident_id=incident_id))


def _actor() -> str:
    """The logged-in user, by name: the lifecycle records who stopped paging or closed."""
    viewer = current_viewer()
    return viewer.name if viewer else "console"


@bp.post("/console/incidents/<int:incident_id>/accept")
def accept(incident_id: int) -> Response:
    return _back(incident_id, actions.accept_on_behalf(incident_id, request.form.get("person", ""), _actor()))


@bp.post("/console/incidents/<int:incident_id>/stop")
def stop(incident_id: int) -> Response:
    return _back(incident_id, actions.stop_paging(incident_id, request.form.get("reason", ""), _actor()))


@bp.post("/console/incidents/<int:incident_id>/page-again")
def page_again(incident_id: int) -> Response:
    return _back(incident_id, actions.page_again(incident_id, _actor()))


@bp.post("/console/incidents/<int:incident_id>/reopen")
def reopen(incident_id: int) -> Response:
    return _back(incident_id, actions.reopen(incident_id, request.form.get("reason", ""), _actor()))


@bp.post("/console/incidents/<int:incident_id>/close")
def close(incident_id: int) -> Response:
    return _back(incident_id, actions.close(incident_id, request.form.get("note", "").strip(), _actor()))


@bp.post("/console/incidents/<int:incident_id>/note")
def note(incident_id: int) -> Response:
    return _back(incident_id, actions.add_note(incident_id, request.form.get("note", ""), _actor()))
