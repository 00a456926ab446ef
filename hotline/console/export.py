"""The list as a spreadsheet: CSV of every incident of the current view (its filters and search,
all pages), in the viewer's language, streamed so a large export never sits in memory.

Cells that a spreadsheet would run as a formula (starting with = + - @ or a tab) get a leading
apostrophe, so a caller's number like "+886..." or a note typed as "=HYPERLINK(...)" stays text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, g, request, stream_with_context

from hotline.base.runtime import get_runtime
from hotline.console import queries
from hotline.web.auth import current_viewer, guard
from hotline.web.i18n import N_, gettext

bp = Blueprint("console_export", __name__)
bp.before_request(guard())

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
HEADERS = (N_("Reference"), N_("Type"), N_("Severity"), N_("Status"), N_("Caller"), N_("Callback number"),
           N_("Reported at"), N_("Accepted by"), N_("Accepted at"), N_("Paging stopped by"), N_("Reason"),
           N_("Closed at"), N_("Drill"))


def cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


@bp.get("/console/incidents.csv")
def incidents_csv() -> Response:
    runtime = get_runtime()
    cfg = runtime.config
    zone = ZoneInfo(cfg.timezone)
    lang = g.get("lang", "zh-TW")
    names = {key: p.name for key, p in cfg.people.items()}
    filters = queries.Filters.from_args(request.args, viewer.person if (viewer := current_viewer()) else None)

    def when(moment: datetime | None) -> str:
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S") if moment else ""

    def lines() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)

        def flush() -> str:
            out = buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            return out

        yield "\ufeff"  # a byte-order mark, so spreadsheet programs read the Chinese as UTF-8
        writer.writerow([gettext(h) for h in HEADERS])
        with runtime.db.session() as s:
            for row in queries.every_incident(s, filters, names):
                i = row.incident
                writer.writerow([cell(v) for v in (
                    i.ref or i.id, cfg.type_name(i.type_key, lang), gettext(i.severity), gettext(i.status), i.caller,
                    i.callback_number, when(i.created_at), row.now.accepted_by or "", when(i.accepted_at),
                    i.paging_stopped_by, i.paging_stopped_reason, when(i.closed_at),
                    gettext("yes") if i.drill else "")])
                yield flush()

    response = Response(stream_with_context(lines()), mimetype="text/csv")
    response.headers["Content-Disposition"] = "attachment; filename=incidents.csv"
    response.headers["Cache-Control"] = "private, no-store"
    return response
