"""The crisis panel of an incident page, and the crisis list: verdict, team, bridge, checklist,
statements, dark site, and an activation proposal (rule 1b of `hotline.crisis.commands`: a plan
with activators shows Activate only to them, and Propose to other admins). Every button is one
lifecycle command (`hotline.crisis.commands`) acted
as the logged-in admin, so the console writes no crisis state itself; viewers see the panel.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from hotline.base.jobs import run
from hotline.base.lifecycle import Outcome
from hotline.base.models import AuditEvent, Incident, utcnow
from hotline.base.runtime import get_runtime
from hotline.crisis import commands
from hotline.crisis.darksite import routes as darksite
from hotline.crisis.darksite import view as darksite_view
from hotline.crisis.models import BridgeLeg, Crisis, CrisisState, CrisisStatement, MemberState, StatementState
from hotline.crisis.phrases import ROLE_NAMES
from hotline.crisis.plans import UPDATE_EVERY
from hotline.crisis.reminders import next_update_due
from hotline.crisis.settings import CrisisSettings
from hotline.rotas.models import stored_overrides
from hotline.web.actions import console_actor, viewer_name
from hotline.web.auth import guard, require_admin
from hotline.web.i18n import N_, gettext

bp = Blueprint("console_crisis", __name__, template_folder="templates")
bp.before_request(guard())


@bp.before_request
def _admins_act() -> None:
    """Anyone logged in reads the panel; only admins press its buttons."""
    if request.method == "POST":
        require_admin()

MESSAGES = {
    "activated": N_("Crisis plan activated: the team is being called."),
    "false_alarm": N_("Marked as a false alarm."),
    "false_alarm_stopped": N_("Marked as a false alarm: paging stopped, nobody is called for it any more."),
    "note_required": N_("Say why it is a false alarm."),
    "no_plan": N_("There is no crisis plan for this type."),
    "not_activator": N_("You may not activate this plan: propose it to those who may."),
    "proposed": N_("Activation proposed: those who may activate the plan are texted."),
    "no_activator_in_drill": N_("Nobody who may activate this plan takes part in the drill: nobody was texted."),
    "step_done": N_("Step done."),
    "step_reopened": N_("Step reopened."),
    "drafted": N_("Statement drafted: a second person must approve it."),
    "published": N_("Statement published."),
    "published_drill": N_("Drill statement approved: it shows only on the drill's preview page, never in public."),
    "own_draft": N_("You drafted this statement: a second person must approve it."),
    "empty_statement": N_("A statement cannot be empty."),
    "dark_site_on": N_("The dark site is on."),
    "dark_site_off": N_("The dark site is off."),
    "closed": N_("The incident is closed."),
    "sending": N_("Staff are being told."),
    "drill_would_send": N_("Drill: the notice is recorded as would-send; nobody was told."),
    "drafted_notice": N_("Notice to staff drafted: a second person must approve it on the Broadcasts page."),
}


def _back(incident_id: int, out: Outcome) -> Response:
    code = "drafted_notice" if out.code == "drafted" and out.subject_id is not None else out.code
    # "at-crisis": shown in the crisis panel, where the button was pressed (the redirect lands there).
    flash(gettext(MESSAGES[code]) if code in MESSAGES else (out.message or out.code),
          ("ok" if out.ok else "error") + " at-crisis")
    return redirect(url_for("console_incident.page", incident_id=incident_id) + "#crisis")


@dataclass(frozen=True)
class Panel:
    """Everything the crisis panel shows, read in one session."""

    crisis: Crisis | None
    has_plan: bool
    members: list[dict[str, Any]]
    steps: list[dict[str, Any]]
    statements: list[Any]
    bridge: list[dict[str, Any]]
    template: dict[str, str]
    now: datetime
    stages: tuple[str, ...] = ()  # the plan's [broadcast] stages: notices to staff
    two_person_rule: bool = True  # a statement's drafter is not offered its Approve button
    may_activate: bool = True  # the viewer may activate the plan (rule 1b); else they may propose it
    proposal: AuditEvent | None = None  # the newest activation proposal, while there is no verdict
    update_due: datetime | None = None  # the newest published statement promised the next one by then

    @property
    def update_minutes(self) -> int | None:
        """Whole minutes until the next statement is due (rounded up), negative once overdue."""
        if self.update_due is None:
            return None
        return math.ceil((self.update_due - self.now).total_seconds() / 60)


def panel(incident_id: int) -> Panel:
    rt = get_runtime()
    cfg = rt.config
    with rt.db.session() as s:
        incident = s.get(Incident, incident_id)
        crisis = commands.crisis_for(s, incident_id)
        has_plan = incident is not None and incident.type_key in cfg.section(CrisisSettings).plans
        if crisis is None and incident is not None and has_plan:
            to_verify = cfg.section(CrisisSettings).plans[incident.type_key]
            now = utcnow()
            allowed = commands.may_activate(viewer_name(), commands.activators_now(
                to_verify, cfg, now, stored_overrides(s, now)), cfg)
            proposal = s.scalar(select(AuditEvent).where(AuditEvent.incident_id == incident_id,
                                                         AuditEvent.kind == "crisis.proposed")
                                .order_by(AuditEvent.id.desc()).limit(1))
            return Panel(None, True, [], [], [], [], {}, utcnow(), may_activate=allowed, proposal=proposal)
        if crisis is None or crisis.state != CrisisState.ACTIVE:
            return Panel(crisis, has_plan, [], [], [], [], {}, utcnow())
        name = {k: p.name for k, p in cfg.people.items()}
        members = [{"role": m.role, "name": name.get(m.person_key, m.person_key), "deputy": m.is_deputy,
                    "phone": cfg.people[m.person_key].phone if m.person_key in cfg.people else None,
                    "calls": m.calls, "confirmed_at": m.confirmed_at, "error": m.error,
                    "stood_down": m.state == MemberState.STOOD_DOWN} for m in crisis.members]
        steps = [{"id": st.id, "text": st.text, "owner": st.owner_role, "due_at": st.due_at, "done_by": st.done_by,
                  "done_at": st.done_at} for st in crisis.steps]
        legs = s.scalars(select(BridgeLeg).where(BridgeLeg.crisis_id == crisis.id, BridgeLeg.left_at.is_(None))
                         .order_by(BridgeLeg.joined_at))
        bridge = [{"name": name.get(leg.person_key or "", leg.person_key or leg.call_sid[-6:]),
                   "joined_at": leg.joined_at} for leg in legs]
        statements = list(reversed(crisis.statements))
        template = commands.statement_template(s, crisis, cfg)
        plan = cfg.section(CrisisSettings).plans.get(crisis.type_key)
        stages = tuple(plan.broadcast.stages) if plan and plan.broadcast else ()
        newest = max((st.published_at for st in crisis.statements if st.published_at is not None), default=None)
        due = next_update_due(newest, plan.update_every if plan else UPDATE_EVERY)
        return Panel(crisis, has_plan, members, steps, statements, bridge, template, utcnow(), stages,
                     cfg.section(CrisisSettings).two_person_rule, update_due=due)


def role_name(key: str) -> str:
    """A crisis role by its name in the viewer's language ("IT security", "資訊安全"), never its key."""
    names = ROLE_NAMES.get(g.get("lang", "zh-TW"), ROLE_NAMES["en-US"])
    return names.get(key, key.replace("_", " "))


@bp.app_context_processor
def _crisis_helpers() -> dict[str, Any]:
    return {"crisis_panel": panel, "StatementState": StatementState, "role_name": role_name}


@bp.get("/console/crisis/")
def crises() -> str:
    with get_runtime().db.session() as s:
        rows = list(s.execute(select(Crisis, Incident).join(Incident, Incident.id == Crisis.incident_id)
                              .where(Crisis.state == CrisisState.ACTIVE).order_by(Crisis.decided_at.desc())))
    return render_template("crisis/crisis_list.html", rows=rows)


@bp.post("/console/incidents/<int:incident_id>/crisis/activate")
def activate(incident_id: int) -> Response:
    return _back(incident_id, run(commands.activate, incident_id, get_runtime().config, console_actor(),
                                  acceptor_only=False))


@bp.post("/console/incidents/<int:incident_id>/crisis/propose")
def propose(incident_id: int) -> Response:
    return _back(incident_id, run(commands.propose, incident_id, get_runtime().config, console_actor()))


@bp.post("/console/incidents/<int:incident_id>/crisis/false-alarm")
def false_alarm(incident_id: int) -> Response:
    return _back(incident_id, run(commands.false_alarm, incident_id, console_actor(), request.form.get("note", ""),
                                  acceptor_only=False))


@bp.post("/console/incidents/<int:incident_id>/crisis/steps/<int:step_id>")
def step(incident_id: int, step_id: int) -> Response:
    done = request.form.get("done", "1") == "1"
    return _back(incident_id, run(commands.complete_step, step_id, console_actor(), done, incident_id=incident_id))


@bp.post("/console/incidents/<int:incident_id>/crisis/<int:crisis_id>/statements")
def draft(incident_id: int, crisis_id: int) -> Response:
    bodies = {lang: request.form.get(f"body_{lang}", "") for lang in get_runtime().config.languages}
    return _back(incident_id, run(commands.draft_statement, crisis_id, bodies, console_actor(),
                                  incident_id=incident_id))


@bp.post("/console/incidents/<int:incident_id>/crisis/statements/<int:statement_id>/approve")
def approve(incident_id: int, statement_id: int) -> Response:
    cfg = get_runtime().config
    rule = cfg.section(CrisisSettings).two_person_rule
    return _back(incident_id, run(commands.approve_statement, statement_id, console_actor(), rule, cfg=cfg,
                                  incident_id=incident_id))


@bp.post("/console/incidents/<int:incident_id>/crisis/<int:crisis_id>/tell-staff/<stage>")
def tell_staff(incident_id: int, crisis_id: int, stage: str) -> Response:
    return _back(incident_id, run(commands.tell_staff, crisis_id, stage, get_runtime().config, console_actor(),
                                  incident_id=incident_id))


@bp.post("/console/incidents/<int:incident_id>/crisis/<int:crisis_id>/dark-site")
def dark_site(incident_id: int, crisis_id: int) -> Response:
    on = request.form.get("on") == "1"
    if request.form.get("on") not in ("0", "1"):
        abort(400)
    return _back(incident_id, run(commands.set_dark_site, crisis_id, on, console_actor(), incident_id=incident_id))


@bp.get("/console/incidents/<int:incident_id>/crisis/statements/<int:statement_id>/preview")
def preview_statement(incident_id: int, statement_id: int) -> Response:
    """A draft statement on the dark site exactly as the public would see it once approved (and the
    site on), under a "not public" banner; read only, never cached, never indexed."""
    cfg = get_runtime().config
    lang = request.args.get("lang") or g.get("lang") or cfg.default_language
    if lang not in cfg.languages:
        abort(404)
    with get_runtime().db.session() as s:
        draft = s.get(CrisisStatement, statement_id)
        if draft is None or draft.crisis.incident_id != incident_id or draft.state != StatementState.DRAFT:
            abort(404)
        html, _ = darksite.render_page(darksite_view.build(s, cfg, lang, draft, utcnow()), "/site/", preview=True)
    response = Response(html, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.get("/console/incidents/<int:incident_id>/crisis/preview/")
@bp.get("/console/incidents/<int:incident_id>/crisis/preview/<lang>/")
def preview(incident_id: int, lang: str | None = None) -> str:
    """A drill's dark site, for the console only (hotline.crisis.drillmode rule 2): what the public
    page would show, under the drill banner; a real incident has no preview."""
    cfg = get_runtime().config
    lang = lang or cfg.default_language
    if lang not in cfg.languages:
        abort(404)
    with get_runtime().db.session() as s:
        incident = s.get(Incident, incident_id)
        crisis = commands.crisis_for(s, incident_id)
        if incident is None or not incident.drill or crisis is None:
            abort(404)
        site = darksite_view.build(s, cfg, lang, preview_of=crisis.id)
        names = {code: darksite_view.words(code)["language"] for code in cfg.languages}
        return render_template("darksite/preview.html", incident=incident, site=site, w=darksite_view.words(lang),
                               names=names)
