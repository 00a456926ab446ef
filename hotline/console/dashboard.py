"""The incident list: what came in, its state and who took it, refreshed live by short polling.

Polling a server-rendered fragment every few seconds, rather than SSE, because gunicorn's
threaded workers would hold one thread per open dashboard for SSE, and a fragment keeps the
rows rendered by one template whether the page is fresh or refreshed.
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, g, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from hotline.base.config import Config
from hotline.base.models import utcnow
from hotline.base.runtime import get_runtime
from hotline.base.states import INCIDENT_STATUSES
from hotline.console import changes, queries, urgency
from hotline.crisis.models import Crisis
from hotline.events.view import event_views
from hotline.paging.callout.decide import NextCall
from hotline.paging.callout.store import upcoming_call
from hotline.paging.models import callout_incidents
from hotline.rotas.models import stored_overrides
from hotline.rotas.policy import OncallSettings
from hotline.web.auth import current_viewer, guard

bp = Blueprint("console", __name__)
bp.before_request(guard())


@bp.get("/")
def root() -> Response:
    return redirect(url_for("console.home"))


@bp.get("/console/")
def home() -> Response:
    return redirect(url_for("console.incidents"))


@bp.get("/console/incidents")
def incidents() -> str:
    filters = _filters()
    return render_template("console/incidents.html", statuses=INCIDENT_STATUSES,
                           **_rows(filters))


@bp.get("/console/incidents/rows")
def rows() -> Response:
    """The live part of the list page, fetched again every few seconds by live.js (304 if unchanged)."""
    return changes.answer(lambda: render_template("console/_incident_rows.html",
                                                  **_rows(_filters())),
                          g.get("lang"), _role())


def _filters() -> queries.Filters:
    viewer = current_viewer()
    return queries.Filters.from_args(request.args, viewer.person if viewer else None)


def _role() -> str:
    """What of the viewer shapes the rows: their role, and their person (Accept (myself))."""
    viewer = current_viewer()
    return f"{viewer.role}:{viewer.person or ''}" if viewer else ""


def _rows(filters: queries.Filters) -> dict[str, object]:
    runtime = get_runtime()
    names = {key: p.name for key, p in runtime.config.people.items()}
    with runtime.db.session() as s:
        rows, total = queries.incidents(s, filters, names)
        pages = max(1, -(-total // queries.LIST_LIMIT))
        ids = [r.incident.id for r in rows]
        crises = {incident_id: state for incident_id, state in s.execute(
            select(Crisis.incident_id, Crisis.state).where(Crisis.incident_id.in_(ids)))} if ids else {}
        nexts = next_calls(s, runtime.config, [r.incident.id for r in rows if r.now.band == urgency.Band.PAGING],
                           utcnow())
        return {"rows": rows, "total": total, "filters": filters, "pages": pages, "crises": crises, "nexts": nexts,
                "summaries": {k: v.summary for k, v in event_views(s, ids).items() if v.summary},
                "abandoned": queries.abandoned_calls(s),
                "unaccepted": urgency.unaccepted_count(s), "age": queries.age, "Band": urgency.Band,
                "grouped": urgency.grouped,
                "back": request.full_path if request.endpoint == "console.incidents" else url_for(
                    "console.incidents", **filters.query())}


def next_calls(s: Session, cfg: Config, incident_ids: list[int], now: datetime) -> dict[int, NextCall]:
    """Per paging incident on screen, whom its callout rings next if nobody answers, and when: the
    callout's own `next_call`, as on the incident page, asked once per callout (a storm's rows share it)."""
    if not incident_ids:
        return {}
    links = list(s.execute(select(callout_incidents.c.incident_id, callout_incidents.c.callout_id).where(
        callout_incidents.c.incident_id.in_(incident_ids), callout_incidents.c.active)))
    settings, overrides = cfg.section(OncallSettings), stored_overrides(s, now)
    found: dict[int, NextCall | None] = {}
    for _, callout_id in links:
        if callout_id not in found:
            found[callout_id] = upcoming_call(s, callout_id, settings, cfg.people, now, overrides)
    return {incident_id: nxt for incident_id, callout_id in links if (nxt := found[callout_id]) is not None}
