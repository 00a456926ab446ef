"""The drills pages: plan and run drills, inject events, stop one with one confirmed action, and
read the results (timeline, figures, misses), as CSV, on a printable page and as trend charts.

Every button is one drill command of the lifecycle (`hotline.drills.commands`), acted as the
logged-in admin; viewers read. Nothing here writes a drill, incident or callout row itself.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse  # what redirect() gives; flask's Response is one

from hotline.base.runtime import get_runtime
from hotline.drills import commands as drills
from hotline.drills import report as drill_report
from hotline.drills.charts import ChartWords, bar_chart
from hotline.drills.models import Drill, DrillEvent, DrillKind, DrillState
from hotline.drills.settings import SEVERITIES, DrillSettings, check_scenario
from hotline.rotas.policy import OncallSettings
from hotline.web.actions import console_actor
from hotline.web.auth import SAFE_METHODS, guard, require_admin
from hotline.web.i18n import N_, gettext

bp = Blueprint("console_drills", __name__, template_folder="templates")
bp.before_request(guard())
TREND = 20  # drills on the trend charts


@bp.before_request
def _admins_act() -> None:
    if request.method not in SAFE_METHODS:
        require_admin()



def _targets() -> Any:
    return get_runtime().config.section(DrillSettings).targets


@bp.get("/console/drills")
def index() -> str:
    cfg = get_runtime().config
    with get_runtime().db.session() as s:
        rows = list(s.scalars(select(Drill).order_by(Drill.id.desc()).limit(100)))
        ended = [d for d in rows if d.started_at is not None][:TREND][::-1]
        results = [r for r in (drill_report.load(s, d.id, _targets()) for d in ended) if r is not None]
    rang: dict[str, list[int]] = {}
    for r in results:
        for p in r.people:
            tally = rang.setdefault(p.name, [0, 0])
            tally[0], tally[1] = tally[0] + p.answered, tally[1] + p.rang
    words = ChartWords(target_word=gettext("target"), never_word=gettext("never"))
    accept_chart = bar_chart("chart-accept", gettext("Time to accept per drill"),
                             [(f"#{r.drill_id}", r.accept_seconds) for r in results], "s",
                             target=_targets().accept_seconds, **words)
    answer_chart = bar_chart("chart-answer", gettext("Answer rate per person"),
                             [(name, 100.0 * a / n) for name, (a, n) in sorted(rang.items()) if n], "%", top=100.0,
                             **words)
    return render_template("drills/drills.html", drills=rows, kinds=list(DrillKind), severities=SEVERITIES,
                           scenarios=cfg.section(DrillSettings).scenarios,
                           policies=sorted(cfg.section(OncallSettings).policies),
                           accept_chart=accept_chart, answer_chart=answer_chart)


@bp.post("/console/drills")
def create() -> BaseResponse:
    cfg = get_runtime().config
    form = request.form
    key = form.get("scenario", "")
    if key:
        scenario = cfg.section(DrillSettings).scenarios.get(key)
        if scenario is None:
            abort(404)
    else:
        spec: dict[str, Any] = {"kind": form.get("kind"), "type": form.get("type"),
                                "severity": form.get("severity", "unknown"), "report_text": form.get("text", ""),
                                "participants": form.getlist("participants")}
        if form.get("policy"):
            spec["policy"] = form["policy"]
        if form.get("whole_plan") == "1":
            spec["whole_plan"] = True
        found, problems = check_scenario(cfg, "", spec, "console", at="drill")
        if found is None:
            for p in problems:
                flash(f"{p.key}: {p.fix}", "error")
            return redirect(url_for("console_drills.index"))
        scenario = found
    out = drills.run(drills.create, cfg, scenario, console_actor())
    if out.drill_id is not None and form.get("start"):
        out = drills.run(drills.start, cfg, out.drill_id, console_actor())
    flash(said(out, out.drill_id), "ok" if out.ok else "error")
    return redirect(url_for("console_drills.page", drill_id=out.drill_id) if out.drill_id
                    else url_for("console_drills.index"))


def _load(drill_id: int) -> tuple[Drill, list[DrillEvent], drill_report.Results]:
    with get_runtime().db.session() as s:
        drill = s.get(Drill, drill_id)
        results = drill_report.load(s, drill_id, _targets())
        if drill is None or results is None:
            abort(404)
        events = list(s.scalars(select(DrillEvent).where(DrillEvent.drill_id == drill_id).order_by(DrillEvent.id)))
    return drill, events, results


@bp.get("/console/drills/<int:drill_id>")
def page(drill_id: int) -> str:
    drill, events, results = _load(drill_id)
    return render_template("drills/drill.html", drill=drill, events=events, r=results, targets=_targets(),
                           injections=drills.INJECTIONS, states=DrillState)


@bp.get("/console/drills/<int:drill_id>/live")
def live(drill_id: int) -> str:
    """The results fragment, polled by live.js while the drill runs: a facilitator sees it happen."""
    _, _, results = _load(drill_id)
    return render_template("drills/_drill_results.html", r=results, targets=_targets())


@bp.get("/console/drills/<int:drill_id>/print")
def printable(drill_id: int) -> str:
    drill, events, results = _load(drill_id)
    return render_template("drills/drill_print.html", drill=drill, r=results, targets=_targets())


@bp.get("/console/drills/<int:drill_id>/report.csv")
def report_csv(drill_id: int) -> Response:
    _, _, results = _load(drill_id)
    return Response(drill_report.to_csv(results), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="drill-{drill_id}.csv"'})


# What a drill command's outcome says to the person who pressed the button, by its code, in the
# viewer's language (the outcome's own message is English, for logs and the CLI).
MESSAGES = {
    "created": N_("Drill %(id)s created."),
    "started": N_("Drill %(id)s started."),
    "waiting": N_("Drill %(id)s waits: a real incident is open. It starts when none is."),
    "not_started": N_("Drill %(id)s could not start."),
    "needs_sim": N_("This kind of drill places no real calls: it runs only on the sim."),
    "injected": N_("Event added to drill %(id)s."),
    "scripted_report": N_("Event added to drill %(id)s."),
    "not_running": N_("Drill %(id)s is not running."),
    "unknown_event": N_("There is no such event to inject."),
    "real_phones": N_("Real phones cannot be made not to answer."),
    "finished": N_("Drill %(id)s finished."),
    "stopped": N_("Drill %(id)s stopped."),
    "not_open": N_("Drill %(id)s is already over."),
    "no_drill": N_("There is no such drill."),
}
ALREADY = N_("Drill %(id)s has already started or ended.")


def said(out: drills.DrillOutcome, drill_id: int | None) -> str:
    """The outcome as a sentence in the viewer's language."""
    template = MESSAGES.get(out.code) or (ALREADY if out.code.startswith("already_") else None)
    return gettext(template, id=drill_id if drill_id is not None else "?") if template else (out.message or out.code)


def _done(drill_id: int, out: drills.DrillOutcome) -> BaseResponse:
    flash(said(out, drill_id), "ok" if out.ok else "error")
    return redirect(url_for("console_drills.page", drill_id=drill_id))


@bp.post("/console/drills/<int:drill_id>/start")
def start(drill_id: int) -> BaseResponse:
    return _done(drill_id, drills.run(drills.start, get_runtime().config, drill_id, console_actor()))


@bp.post("/console/drills/<int:drill_id>/inject")
def inject(drill_id: int) -> BaseResponse:
    return _done(drill_id, drills.run(drills.inject, get_runtime().config, drill_id, request.form.get("event", ""),
                                      console_actor()))


@bp.post("/console/drills/<int:drill_id>/stop")
def stop(drill_id: int) -> BaseResponse:
    """One action, confirmed in the same form: any admin can end a running drill at once."""
    if request.form.get("confirm") != "yes":
        flash(gettext("Confirm stopping the drill."), "error")
        return redirect(url_for("console_drills.page", drill_id=drill_id))
    reason = request.form.get("reason", "").strip() or "stopped from the console"
    return _done(drill_id, drills.run(drills.end, drill_id, DrillState.STOPPED, console_actor(), reason))


@bp.post("/console/drills/<int:drill_id>/finish")
def finish(drill_id: int) -> BaseResponse:
    out = drills.run(drills.end, drill_id, DrillState.FINISHED, console_actor(), "finished by the facilitator")
    return _done(drill_id, out)
