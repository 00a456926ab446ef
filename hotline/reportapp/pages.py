"""The console's page of the reporting app's phones (admins only: it names people): issue an
enrolment link (with a QR code to scan from the phone), see each phone's state and last contact,
and revoke one. Each button is one command of `hotline.reportapp.commands`, acted as the admin,
so every issue and revoke is audited. A report's photo and voice memo are served here, behind the login. The
incident page's panel of an app report's messages, and the admin's message to its reporter
(`hotline.reportapp.messages`), are here too.

The link's token is shown once: it is kept in the session only between the POST that made it
and the page that shows it (then popped), and only its digest is stored.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import segno
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, send_file, session, url_for
from markupsafe import Markup
from sqlalchemy import select
from werkzeug.wrappers import Response as WResponse

from hotline.base.jobs import run
from hotline.base.lifecycle import Actor, Channel, Outcome
from hotline.base.models import Incident, utcnow
from hotline.base.recording_store import recording_store
from hotline.base.runtime import get_runtime
from hotline.base.states import IncidentStatus
from hotline.reportapp import commands, messages
from hotline.reportapp.models import AppDevice, AppReport
from hotline.reportapp.settings import AppSettings
from hotline.web.actions import Notice, back, viewer_name
from hotline.web.auth import current_viewer, guard, require_admin
from hotline.web.i18n import N_, gettext

bp = Blueprint("console_reportapp", __name__, template_folder="templates")
bp.before_request(guard())
MESSAGES = {"issued": N_("Enrolment link made: open it on the phone (or scan the code). It is shown only now."),
            "revoked": N_("Device revoked: its reports are refused from now on."),
            "not_revocable": N_("This device is revoked already.")}
SENT = {  # what the admin reads after writing to an app reporter, by the outcome's code
    "sent": N_("Sent to the reporter's app."), "empty": N_("Write the message first."),
    "too_long": N_("The message is too long (at most 1,000 characters)."),
    "not_app": N_("This report was not made with the app."),
    "closed": N_("This report is closed: reopen it to write to the reporter."),
}


@bp.before_request
def _admins_only() -> None:
    if request.endpoint not in ("console_reportapp.photo", "console_reportapp.memo"):
        require_admin()


@dataclass(frozen=True)
class Panel:
    messages: tuple[messages.Message, ...]  # oldest first
    can_message: bool  # open: an admin may write to the reporter


def app_panel(incident_id: int) -> Panel | None:
    """The incident page's panel of an app report's messages; None for any other incident."""
    with get_runtime().db.session() as s:
        row = s.execute(select(AppReport.id, Incident.status).join(Incident, Incident.id == AppReport.incident_id)
                        .where(AppReport.incident_id == incident_id)).first()
        if row is None:
            return None
        return Panel(tuple(messages.messages_of(s, row.id)), row.status != IncidentStatus.CLOSED)


@bp.app_context_processor
def _helpers() -> dict[str, object]:
    return {"app_panel": app_panel}


@bp.post("/console/incidents/<int:incident_id>/app-reporter")
def message(incident_id: int) -> WResponse:
    with get_runtime().db.session() as s:
        out = messages.message_reporter(s, incident_id, request.form.get("body", ""), viewer_name())
    return back(incident_id, Notice(out.ok, SENT[out.code]))


def _actor() -> Actor:
    viewer = current_viewer()
    return Actor(viewer.name if viewer else "console", Channel.CONSOLE)


def _said(out: Outcome) -> None:
    flash(gettext(MESSAGES[out.code]) if out.code in MESSAGES else (out.message or out.code),
          "ok" if out.ok else "error")


def qr_svg(text: str) -> Markup:
    """The link as an inline SVG QR code (made here: no service outside is asked)."""
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="svg", scale=5, border=2, xmldecl=False, svgns=True,
                                     title="QR", svgclass="qr")
    return Markup(out.getvalue().decode("utf-8"))  # noqa: S704 (segno's own SVG, no user text but the URL)


@bp.get("/console/devices")
def index() -> str:
    cfg = get_runtime().config
    with get_runtime().db.session() as s:
        devices = list(s.scalars(select(AppDevice).order_by(AppDevice.id.desc()).limit(500)))
        s.expunge_all()
    link = session.pop("app_link", None)
    url = f"{cfg.public_url.rstrip('/')}/app/enrol/{link['token']}" if link else None
    return render_template("reportapp/devices.html", devices=devices, people=cfg.people, now=utcnow(),
                           link=link, link_url=url, qr=qr_svg(url) if url else None, languages=cfg.languages)


@bp.post("/console/devices")
def issue() -> WResponse:
    cfg = get_runtime().config
    person = request.form.get("person", "")
    if person not in cfg.people:
        flash(gettext("Choose a person of the rota's [people]."), "error")
        return redirect(url_for("console_reportapp.index"))
    lang = request.form.get("language", "")
    lang = lang if lang in cfg.languages else (cfg.people[person].languages or (cfg.default_language,))[0]
    with get_runtime().db.session() as s:
        out, token = commands.issue_link(s, person, lang, _actor(), cfg.section(AppSettings))
    _said(out)
    if token:
        session["app_link"] = {"token": token, "person": person, "device": out.subject_id}
    return redirect(url_for("console_reportapp.index"))


@bp.post("/console/devices/<int:device_id>/revoke")
def revoke(device_id: int) -> WResponse:
    _said(run(commands.revoke, device_id, _actor()))
    return redirect(url_for("console_reportapp.index"))


@bp.get("/console/app-photos/<int:report_id>")
def photo(report_id: int) -> Response:
    with get_runtime().db.session() as s:
        row = s.execute(select(AppReport.photo, AppReport.photo_type).where(AppReport.id == report_id)).first()
    if row is None or row.photo is None:
        abort(404)
    response = Response(row.photo, mimetype=row.photo_type or "application/octet-stream")
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    return response


@bp.get("/console/app-memos/<int:report_id>")
def memo(report_id: int) -> WResponse:
    """A report's voice memo, with ranges (the audio element seeks), never outside the store."""
    cfg = get_runtime().config
    with get_runtime().db.session() as s:
        row = s.execute(select(AppReport.memo_path, AppReport.memo_type).where(AppReport.id == report_id)).first()
    if row is None or not row.memo_path:
        abort(404)
    path = recording_store(cfg).local_path(row.memo_path).resolve()
    if not path.is_relative_to(cfg.recordings_dir.resolve()) or not path.is_file():
        abort(404)
    response = send_file(path, mimetype=row.memo_type or "application/octet-stream", conditional=True, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
