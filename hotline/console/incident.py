"""One incident: recordings with their transcripts, the callout timeline and the audit timeline.

Recordings are served here, behind the login, with HTTP range support (send_file with
conditional=True), because a browser's audio element can only seek in a file served with ranges.

The page and its live part show the newest `TIMELINE_LINES` lines of the timeline, with a link to
all of them (`?timeline=all`): a storm's or a long crisis's incident gathers thousands, and every
viewer's refresh while its callout runs would draw them all again (about 1.5 s of CPU at 10,000).
The review (`hotline.reviews`) condenses the whole timeline for reading afterwards.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, g, render_template, request, send_file
from werkzeug.wrappers import Response

from hotline.base.models import Incident, Recording, utcnow
from hotline.base.runtime import get_runtime
from hotline.base.states import RecordingStatus
from hotline.console import changes, queries, timeline, urgency
from hotline.crisis.phrases import ROLE_NAMES
from hotline.events.view import event_views
from hotline.paging.callout.store import upcoming_call
from hotline.paging.commands import SEVERITIES, SNOOZE_MINUTES
from hotline.reportapp.view import app_reports_of
from hotline.rotas.models import stored_overrides
from hotline.rotas.policy import OncallSettings
from hotline.web.auth import current_viewer, guard
from hotline.web.i18n import gettext

bp = Blueprint("console_incident", __name__)
TIMELINE_LINES = 300
bp.before_request(guard())


def _context(incident_id: int) -> dict[str, object]:
    runtime = get_runtime()
    names = {key: p.name for key, p in runtime.config.people.items()}
    with runtime.db.session() as s:
        incident = s.get(Incident, incident_id)
        if incident is None:
            abort(404)
        callout = queries.callout(s, incident_id)
        now = utcnow()
        upcoming = upcoming_call(s, callout.id, runtime.config.section(OncallSettings), runtime.config.people, now,
                                 stored_overrides(s, now)) if callout and callout.active else None
        seconds = {a.id: a.ring_seconds for a in callout.attempts} if callout else {}
        lang = g.get("lang", "zh-TW")
        said = timeline.Names(names, lambda key: runtime.config.type_name(key, lang), seconds,
                              ROLE_NAMES.get(lang, ROLE_NAMES["en-US"]))
        whole = request.args.get("timeline") == "all"
        events = queries.audit_events(s, incident_id, None if whole else TIMELINE_LINES)
        total = len(events) if whole or len(events) < TIMELINE_LINES else queries.audit_count(s, incident_id)
        lines = [timeline.line(e.kind, e.actor, e.detail, e.at, said, gettext) for e in events]
        merged = [(other, queries.recordings(s, other.id)) for other in queries.merged_into(s, incident_id)]
        return {"incident": incident, "recordings": queries.recordings(s, incident_id), "callout": callout,
                "merged": merged, "merge_targets": queries.merge_targets(s, incident),
                "lines": lines, "lines_total": total, "whole_timeline": whole, "timeline_lines": TIMELINE_LINES,
                "now": urgency.rows(s, [incident], names)[0].now, "age": queries.age,
                "Band": urgency.Band, "alert": event_views(s, [incident_id]).get(incident_id),
                "app": app_reports_of(s, [incident_id], runtime.config.sites).get(incident_id),
                "site_name": runtime.config.sites.get(incident.site or ""),
                "snooze_minutes": SNOOZE_MINUTES, "severities": SEVERITIES, "upcoming": upcoming}


@bp.get("/console/incidents/<int:incident_id>")
def page(incident_id: int) -> str:
    return render_template("console/incident.html", **_context(incident_id))


@bp.get("/console/incidents/<int:incident_id>/live")
def live(incident_id: int) -> Response:
    """Everything that changes while a callout runs: status, actions, recordings and transcripts,
    the callout, the timeline and the crisis panel (304 when nothing changed; per viewer, as the
    panel offers a statement's Approve to everyone but its drafter)."""
    viewer = current_viewer()
    return changes.answer(lambda: render_template("console/_incident_live.html", **_context(incident_id)),
                          g.get("lang"), viewer.role if viewer else "", viewer.name if viewer else "")


@bp.get("/console/recordings/<int:recording_id>.wav")
def recording_audio(recording_id: int) -> Response:
    cfg = get_runtime().config
    with get_runtime().db.session() as s:
        rec = s.get(Recording, recording_id)
        stored = rec.path if rec is not None and rec.status == RecordingStatus.STORED else None
    if not stored:
        abort(404)
    path = Path(stored).resolve()
    if not path.is_relative_to(cfg.recordings_dir.resolve()) or not path.is_file():
        abort(404)  # a row pointing outside the recordings folder is never served
    response = send_file(path, mimetype="audio/wav", conditional=True, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response
