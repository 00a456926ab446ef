"""The on-call hours of a drill's participants (`hotline.drills.hours`): a printable page and its
CSV, the same columns as the rotas' monthly hours report. Read only."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template

from hotline.base.models import utcnow
from hotline.base.runtime import get_runtime
from hotline.drills import hours
from hotline.drills.models import Drill
from hotline.rotas.hours import PersonHours
from hotline.rotas.policy import OncallSettings
from hotline.web.auth import guard

bp = Blueprint("console_drill_hours", __name__, template_folder="templates")
bp.before_request(guard())


def _rows(drill_id: int) -> tuple[Drill, list[PersonHours], dict[str, str]]:
    cfg = get_runtime().config
    with get_runtime().db.session() as s:
        drill = s.get(Drill, drill_id)
        if drill is None:
            abort(404)
        s.expunge(drill)
    rows = hours.drill_hours(cfg.section(OncallSettings).hours, drill, utcnow())
    return drill, rows, {k: p.name for k, p in cfg.people.items()}


@bp.get("/console/drills/<int:drill_id>/hours")
def page(drill_id: int) -> str:
    drill, rows, names = _rows(drill_id)
    return render_template("drills/hours.html", drill=drill, rows=rows, names=names,
                           hours=get_runtime().config.section(OncallSettings).hours)


@bp.get("/console/drills/<int:drill_id>/hours.csv")
def as_csv(drill_id: int) -> Response:
    _, rows, names = _rows(drill_id)
    return Response(hours.to_csv(drill_id, rows, names), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="drill-{drill_id}-hours.csv"'})
