"""The trends page: real incidents over a window (30, 90 or 365 days), with the drills of the same
window shown apart; server-side SVG charts drawn by the drills' chart helper, and the same figures
as CSV. Read-only: anyone logged in reads it."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, g, render_template, request

from hotline.base.models import utcnow
from hotline.base.runtime import get_runtime
from hotline.drills.charts import ChartWords, bar_chart
from hotline.trends import rows, stats
from hotline.web.auth import guard
from hotline.web.i18n import N_, gettext

bp = Blueprint("console_trends", __name__, template_folder="templates")
bp.before_request(guard())
WINDOWS = (30, 90, 365)
MEASURE_WORDS = {"first_ring": N_("First ring"), "first_answer": N_("First answer"), "accept": N_("Accepted")}


def _window() -> int:
    days = request.args.get("days", type=int)
    return days if days in WINDOWS else 90


def _figures(days: int) -> tuple[stats.Trends, stats.Trends]:
    cfg = get_runtime().config
    until = utcnow()
    since = until - timedelta(days=days)
    with get_runtime().db.session() as s:
        incidents = rows.incidents(s, since, until)
        calls = rows.calls(s, since, until)
    return stats.split(incidents, calls, since, until, ZoneInfo(cfg.timezone))


def _charts(real: stats.Trends) -> list[tuple[str, Any]]:
    """(caption, SVG) of each chart. Reports by hour of day are drawn in three-hour blocks, so
    eight labels fit a phone's width; the table and the CSV keep every hour."""
    cfg = get_runtime().config
    lang = g.get("lang", cfg.default_language)
    words = ChartWords(target_word=gettext("target"), never_word=gettext("never"))
    blocks = [(f"{h:02d}–{h + 2:02d}", float(sum(real.per_hour[h + i] for i in range(3)))) for h in range(0, 24, 3)]
    charts = (
        ("chart-accept-type", gettext("Median time to accept by type"),
         [(cfg.type_name(t, lang), m["accept"].median) for t, m in real.by_type.items()], "s", None),
        ("chart-accept-hour", gettext("Median time to accept by hour of day"),
         [(str(h), m["accept"].median) for h, m in real.by_hour.items() if m["accept"].n], "s", None),
        ("chart-unanswered", gettext("Unanswered calls per person"),
         [(u.name, round(100.0 * u.rate, 1)) for u in real.unanswered], "%", 100.0),
        ("chart-hours", gettext("Reports by hour of day"), blocks, "", None),
        ("chart-weeks", gettext("Reports per week"),
         [(w.split("-W")[1], float(n)) for w, n in real.per_week], "", None),
    )
    return [(title, bar_chart(chart_id, title, bars, unit, top=top, **words))
            for chart_id, title, bars, unit, top in charts]


@bp.get("/console/trends")
def page() -> str:
    days = _window()
    people = get_runtime().config.people
    real, drills = _figures(days)
    # Rows of the tables: (what the row is, its label, measure -> summary).
    by_person = [(k, people[k].name if k in people else k, ms) for k, ms in real.by_person.items()]
    hours = [(h, h, ms) for h, ms in real.by_hour.items() if any(sm.n for sm in ms.values())]
    return render_template("trends/trends.html", days=days, windows=WINDOWS, real=real, drills=drills,
                           charts=_charts(real), measures=stats.MEASURES, measure_words=MEASURE_WORDS,
                           people_rows=by_person, hours=hours)


@bp.get("/console/trends.csv")
def as_csv() -> Response:
    days = _window()
    real, drills = _figures(days)
    return Response(to_csv(real, drills), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="trends-{days}d.csv"'})


def to_csv(real: stats.Trends, drills: stats.Trends) -> str:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["incidents", "section", "group", "measure", "n", "median_s", "p90_s", "count", "of"])

    def times(kind: str, section: str, group: object, summaries: dict[str, stats.Summary]) -> None:
        for m, sm in summaries.items():
            w.writerow([kind, section, group, m, sm.n, "" if sm.median is None else sm.median,
                        "" if sm.p90 is None else sm.p90, "", ""])

    for kind, t in (("real", real), ("drill", drills)):
        times(kind, "overall", "", t.overall)
        for type_key, summaries in t.by_type.items():
            times(kind, "type", type_key, summaries)
        for person, summaries in t.by_person.items():
            times(kind, "person", person, summaries)
        for hour, summaries in t.by_hour.items():
            if summaries["accept"].n or summaries["first_ring"].n:
                times(kind, "hour", hour, summaries)
        for u in t.unanswered:
            w.writerow([kind, "unanswered", u.person, "calls", "", "", "", u.unanswered, u.placed])
        for week, n in t.per_week:
            w.writerow([kind, "week", week, "reports", "", "", "", n, ""])
        for type_key, n in t.per_type.items():
            w.writerow([kind, "reports_by_type", type_key, "reports", "", "", "", n, ""])
        for hour, n in t.per_hour.items():
            w.writerow([kind, "reports_by_hour", hour, "reports", "", "", "", n, ""])
        w.writerow([kind, "false_alarms", "", "verdicts", "", "", "", t.false_alarms, t.verdicts])
    return out.getvalue()
