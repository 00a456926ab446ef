"""The buttons on an incident page. Admins only; every one is a CSRF-checked POST that
redirects back (post/redirect/get), so a reload never repeats an action."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from werkzeug.wrappers import Response

from hotline.paging import console_actions as actions
from hotline.web.actions import Notice, back, viewer_name
from hotline.web.auth import current_viewer, guard, require_admin
from hotline.web.i18n import N_, gettext
from hotline.web.safe_redirect import same_origin_path

bp = Blueprint("console_actions", __name__)
bp.before_request(guard())
bp.before_request(require_admin)


@bp.post("/console/incidents/<int:incident_id>/accept")
def accept(incident_id: int) -> Response:
    return back(incident_id, actions.accept_on_behalf(incident_id, request.form.get("person", ""), viewer_name()))


@bp.post("/console/incidents/<int:incident_id>/accept-mine")
def accept_mine(incident_id: int) -> Response:
    """Accept (myself): the person is the login's own, never a form field."""
    viewer = current_viewer()
    return back(incident_id, actions.accept_myself(incident_id, viewer.person if viewer else None, viewer_name()))


@bp.post("/console/incidents/<int:incident_id>/stop")
def stop(incident_id: int) -> Response:
    return back(incident_id, actions.stop_paging(incident_id, request.form.get("reason", ""), viewer_name()))


@bp.post("/console/incidents/<int:incident_id>/snooze")
def snooze(incident_id: int) -> Response:
    return back(incident_id, actions.snooze(incident_id, request.form.get("minutes", ""),
                                            request.form.get("reason", ""), viewer_name()))


@bp.post("/console/incidents/<int:incident_id>/severity")
def severity(incident_id: int) -> Response:
    return back(incident_id, actions.set_severity(incident_id, request.form.get("severity", ""),
                                                  request.form.get("reason", ""), viewer_name()))


@bp.post("/console/incidents/<int:incident_id>/escalate")
def escalate(incident_id: int) -> Response:
    return back(incident_id, actions.escalate_now(incident_id, viewer_name()))


@bp.post("/console/incidents/<int:incident_id>/page-person")
def page_person(incident_id: int) -> Response:
    return back(incident_id, actions.page_person(incident_id, request.form.get("person", ""), viewer_name()))


@bp.post("/console/incidents/<int:incident_id>/page-again")
def page_again(incident_id: int) -> Response:
    return back(incident_id, actions.page_again(incident_id, viewer_name()))


@bp.post("/console/incidents/<int:incident_id>/reopen")
def reopen(incident_id: int) -> Response:
    return back(incident_id, actions.reopen(incident_id, request.form.get("reason", ""), viewer_name()))


@bp.post("/console/incidents/<int:incident_id>/close")
def close(incident_id: int) -> Response:
    return back(incident_id, actions.close(incident_id, request.form.get("note", "").strip(), viewer_name()))


@bp.post("/console/incidents/<int:incident_id>/note")
def note(incident_id: int) -> Response:
    return back(incident_id, actions.add_note(incident_id, request.form.get("note", ""), viewer_name()))


@bp.post("/console/incidents/<int:incident_id>/merge")
def merge(incident_id: int) -> Response:
    return back(incident_id, actions.merge(incident_id, request.form.get("into", ""),
                                           request.form.get("reason", ""), viewer_name()))


@bp.post("/console/incidents/<int:incident_id>/split")
def split(incident_id: int) -> Response:
    return back(incident_id, actions.split(incident_id, request.form.get("reason", ""), viewer_name()))


@bp.post("/console/incidents/accept-all")
def accept_all() -> Response:
    """A storm's "Accept all": for the person named, or (mine) the login's own person."""
    viewer = current_viewer()
    person = (viewer.person if viewer else None) if request.form.get("mine") else request.form.get("person", "")
    if not person:
        return _to_list(Notice(False, N_("Your login is not linked to a person; accept on someone's behalf instead.")))
    return _to_list(actions.accept_all(request.form.getlist("ids"), person, viewer_name()))


@bp.post("/console/incidents/close-all")
def close_all() -> Response:
    """A storm's "Close all", or the reports picked in the list, with the reason asked for."""
    return _to_list(actions.close_all(request.form.getlist("ids"), request.form.get("reason", ""), viewer_name()))


def _to_list(notice: Notice) -> Response:
    """Back to the list the buttons were on, with what happened, translated."""
    flash(gettext(notice.message, **notice.values), "ok" if notice.ok else "error")
    return redirect(same_origin_path(request.form.get("next")) or url_for("console.incidents"))
