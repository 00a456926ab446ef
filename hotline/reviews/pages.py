"""The review pages: start a closed incident's review from its page (one confirmed button), read
it (key times, people, checklist, recordings), write findings and action items, move items to
done, list every open item across reviews; printable, as Markdown and as PDF.

Every button is one command of `hotline.reviews.commands`, acted as the logged-in admin; viewers
read. Nothing here writes a review or action row itself.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from hotline.base.jobs import run
from hotline.base.lifecycle import Actor, Channel, Outcome
from hotline.base.models import Incident, utcnow
from hotline.base.runtime import get_runtime
from hotline.drills.settings import DrillSettings
from hotline.reviews import commands, export, report, targets
from hotline.reviews.models import ActionItem, ActionState, Review
from hotline.web.auth import SAFE_METHODS, current_viewer, guard, require_admin
from hotline.web.i18n import N_, gettext

bp = Blueprint("console_reviews", __name__, template_folder="templates")
bp.before_request(guard())

KEY_WORDS = {"report": N_("Report"), "first_ring": N_("First ring"), "accept": N_("Accepted"),
             "verified": N_("Verified"), "plan_activated": N_("Plan activated"), "team_confirmed": N_("Team confirmed"),
             "first_statement": N_("First statement"), "closed": N_("Closed")}
MESSAGES = {
    "started": N_("Review started."),
    "already_started": N_("This incident has a review already."),
    "not_closed": N_("An incident is reviewed once it is closed."),
    "findings_saved": N_("Findings saved."),
    "action_added": N_("Action item added."),
    "text_required": N_("Say what is to be done."),
    "unknown_owner": N_("Choose the owner from the list."),
    "due_required": N_("Give a due date."),
    "action_done": N_("Action item done."),
    "action_open": N_("Action item reopened."),
    "already_done": N_("That item was done already."),
    "already_open": N_("That item is open already."),
}


@bp.before_request
def _admins_act() -> None:
    if request.method not in SAFE_METHODS:
        require_admin()


def _actor() -> Actor:
    viewer = current_viewer()
    return Actor(viewer.name if viewer else "console", Channel.CONSOLE)


def _said(out: Outcome) -> None:
    flash(gettext(MESSAGES[out.code]) if out.code in MESSAGES else (out.message or out.code),
          "ok" if out.ok else "error")


def review_of(incident_id: int) -> int | None:
    """For the incident page: the id of its review, if it has one."""
    with get_runtime().db.session() as s:
        found = commands.review_for(s, incident_id)
        return found.id if found else None


@bp.app_context_processor
def _review_helpers() -> dict[str, Any]:
    return {"review_of": review_of}


@bp.post("/console/incidents/<int:incident_id>/review")
def start(incident_id: int) -> BaseResponse:
    out = run(commands.start, incident_id, _actor())
    _said(out)
    if out.subject_id is None:
        return redirect(url_for("console_incident.page", incident_id=incident_id))
    return redirect(url_for("console_reviews.page", review_id=out.subject_id))


def _load(review_id: int) -> dict[str, Any]:
    cfg = get_runtime().config
    names = {key: p.name for key, p in cfg.people.items()}
    with get_runtime().db.session() as s:
        review = s.get(Review, review_id)
        if review is None:
            abort(404)
        found = report.load_rows(s, review.incident_id)
        if found is None:
            abort(404)
        incident, events, calls, steps = found
        figures = report.figures(incident.created_at, events, calls, steps, names)
        actions = list(s.scalars(select(ActionItem).where(ActionItem.review_id == review_id).order_by(ActionItem.id)))
        recordings = report.recordings(s, incident.id)
        crisis = report.crisis_of(s, incident.id)
    # A drill's review measures each step against the drill targets (hotline.reviews.targets).
    measured = targets.against(figures.times, cfg.section(DrillSettings).targets) if incident.drill else {}
    return {"review": review, "incident": incident, "f": figures, "actions": actions, "recordings": recordings,
            "crisis": crisis, "key_words": KEY_WORDS, "states": ActionState, "today": date.today(),
            "measured": measured}


@bp.get("/console/reviews/<int:review_id>")
def page(review_id: int) -> str:
    return render_template("reviews/review.html", **_load(review_id))


@bp.get("/console/reviews/<int:review_id>/print")
def printable(review_id: int) -> str:
    return render_template("reviews/review_print.html", **_load(review_id))


def _document(review_id: int) -> tuple[export.Document, int]:
    data = _load(review_id)
    incident = data["incident"]
    cfg = get_runtime().config
    title = f"{cfg.org_name}: {gettext('Review of')} {incident.ref or incident.id}"
    words = {k: gettext(v) for k, v in KEY_WORDS.items()}
    names = {key: p.name for key, p in cfg.people.items()}
    return export.Document(title, data["f"], data["review"].findings, data["actions"], data["recordings"], words,
                           names, data["measured"]), incident.id


def _today() -> date:
    """Today where the hotline is: an item due today is not overdue yet."""
    return utcnow().astimezone(ZoneInfo(get_runtime().config.timezone)).date()


def _local(moment: datetime | None) -> str:
    return moment.astimezone(ZoneInfo(get_runtime().config.timezone)).strftime("%Y-%m-%d %H:%M:%S") if moment else "—"


@bp.get("/console/reviews/<int:review_id>/review.md")
def as_markdown(review_id: int) -> Response:
    doc, incident_id = _document(review_id)
    return Response(export.markdown(doc, gettext, _local), mimetype="text/markdown",
                    headers={"Content-Disposition": f'attachment; filename="review-{incident_id}.md"'})


@bp.get("/console/reviews/<int:review_id>/review.pdf")
def as_pdf(review_id: int) -> Response:
    doc, incident_id = _document(review_id)
    return Response(export.pdf(export.markdown(doc, gettext, _local)), mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="review-{incident_id}.pdf"'})


@bp.post("/console/reviews/<int:review_id>/findings")
def findings(review_id: int) -> BaseResponse:
    _said(run(commands.save_findings, review_id, request.form.get("findings", ""), _actor()))
    return redirect(url_for("console_reviews.page", review_id=review_id) + "#findings")


@bp.post("/console/reviews/<int:review_id>/actions")
def add_action(review_id: int) -> BaseResponse:
    try:
        due = date.fromisoformat(request.form.get("due", ""))
    except ValueError:
        due = None
    _said(run(commands.add_action, get_runtime().config, review_id, request.form.get("text", ""),
              request.form.get("owner", ""), due, _actor()))
    return redirect(url_for("console_reviews.page", review_id=review_id) + "#actions")


@bp.post("/console/reviews/actions/<int:action_id>/done")
def action_done(action_id: int) -> BaseResponse:
    return _move_action(action_id, ActionState.DONE)


@bp.post("/console/reviews/actions/<int:action_id>/reopen")
def action_reopen(action_id: int) -> BaseResponse:
    return _move_action(action_id, ActionState.OPEN)


def _move_action(action_id: int, to: ActionState) -> BaseResponse:
    _said(run(commands.move_action, action_id, to, _actor()))
    with get_runtime().db.session() as s:
        item = s.get(ActionItem, action_id)
        review_id = item.review_id if item else None
    if review_id is None:
        return redirect(url_for("console_reviews.index"))
    return redirect(url_for("console_reviews.page", review_id=review_id) + "#actions")


@bp.get("/console/reviews/")
def index() -> str:
    """Every review, and every open action item across them (soonest due first)."""
    with get_runtime().db.session() as s:
        reviews = list(s.execute(select(Review, Incident).join(Incident, Incident.id == Review.incident_id)
                                 .order_by(Review.started_at.desc()).limit(200)))
        open_items = list(s.execute(select(ActionItem, Review, Incident)
                                    .join(Review, Review.id == ActionItem.review_id)
                                    .join(Incident, Incident.id == Review.incident_id)
                                    .where(ActionItem.state == ActionState.OPEN)
                                    .order_by(ActionItem.due_on, ActionItem.id)))
    return render_template("reviews/reviews.html", reviews=reviews, open_items=open_items, today=_today())
