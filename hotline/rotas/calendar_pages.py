"""The rota calendar per incident type for the coming weeks, swaps between two people, and the
on-call hours report (printable, CSV). Every answer comes from `hotline.rotas.resolve`, fed the
same overrides and accepted swaps as paging, so the calendar shows whom a report would ring."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from hotline.base import jobs
from hotline.base.lifecycle import Actor, Channel
from hotline.base.models import utcnow
from hotline.base.runtime import get_runtime
from hotline.rotas.hours import PersonHours, hours_report, month_span
from hotline.rotas.models import live_swaps, overrides_between, stored_overrides
from hotline.rotas.pages import rota_names
from hotline.rotas.policy import OncallSettings, Override, Rota
from hotline.rotas.resolve import timeline
from hotline.rotas.swaps import accept_swap, decline_swap, propose_swap, withdraw_swap
from hotline.web.actions import console_person, viewer_name
from hotline.web.auth import guard
from hotline.web.i18n import BABEL_LOCALE, N_, gettext

bp = Blueprint("console_rota_calendar", __name__, template_folder="templates")
bp.before_request(guard())

MAX_WEEKS = 8
MESSAGES = {"swap_proposed": N_("Swap proposed: it takes effect when the other person accepts."),
            "swap_accepted": N_("Swap accepted."), "swap_declined": N_("Swap declined."),
            "swap_cancelled": N_("Swap withdrawn."), "not_a_person": N_("Only people on the rotas can swap."),
            "no_rota": N_("Choose a rota."), "no_partner": N_("Choose someone else to swap with."),
            "bad_time": N_("Give the start and end as date and time."),
            "end_before_start": N_("The end must be after the start."),
            "in_the_past": N_("That time is already over."),
            "not_your_turn": N_("You are not on call for that rota all that time."),
            "not_their_turn": N_("They are not on call for that rota all the time you give back."),
            "no_swap": N_("No such swap."), "not_yours": N_("That is not yours to decide."),
            "already_decided": N_("That swap was already decided.")}


@dataclass(frozen=True)
class Piece:
    start: str  # local "HH:MM"
    end: str
    person: str
    name: str
    what: str  # the layer's name, "override" or "nobody"


@dataclass(frozen=True)
class Day:
    day: date
    pieces: list[Piece]


def calendar_days(rota: Rota, start: datetime, days: int, zone: ZoneInfo, names: dict[str, str],
                  overrides: Sequence[Override]) -> list[Day]:
    """The rota's stretches cut into local days, from `start`'s local midnight."""
    first = start.astimezone(zone).date()
    edges = [datetime.combine(first + timedelta(days=i), datetime.min.time(), zone) for i in range(days + 1)]
    stretches = timeline(rota, edges[0], edges[-1], overrides)
    out = []
    for a, b in zip(edges, edges[1:], strict=False):
        pieces = []
        for s in stretches:
            lo, hi = max(s.since, a), min(s.until, b)
            if lo < hi:
                end = hi.astimezone(zone).strftime("%H:%M") if hi < b else "24:00"
                what = s.layer if s.reason == "rotation" else s.reason
                pieces.append(Piece(lo.astimezone(zone).strftime("%H:%M"), end, s.person,
                                    names.get(s.person, s.person) if s.person else "—", what))
        out.append(Day(a.date(), pieces))
    return out


def _settings() -> OncallSettings:
    return get_runtime().config.section(OncallSettings)


@bp.get("/console/rota/calendar/<type_key>")
def calendar(type_key: str) -> str:
    runtime = get_runtime()
    cfg = runtime.config
    if type_key not in cfg.incident_types:
        abort(404)
    settings = _settings()
    weeks = min(max(request.args.get("weeks", 4, type=int) or 4, 1), MAX_WEEKS)
    now = utcnow()
    with runtime.db.session() as s:
        overrides = stored_overrides(s, now)
        swaps = live_swaps(s, now)
        s.expunge_all()
    policy = settings.policy_for(type_key)
    keys = list(dict.fromkeys(step.ref for step in (*policy.steps, *settings.fallback) if step.kind == "rota"))
    names = {k: p.name for k, p in cfg.people.items()}
    zone = ZoneInfo(cfg.timezone)
    rotas = [(key, calendar_days(settings.rotas[key], now, weeks * 7, zone, names, overrides)) for key in keys]
    me = console_person(cfg.people)
    lang = g.get("lang", "zh-TW")
    return render_template("rotas/calendar.html", type_key=type_key, weeks=weeks, rotas=rotas, me=me, names=names,
                           rota_names=rota_names(settings, lambda key: cfg.type_name(key, lang)),
                           swaps=[w for w in swaps if w.rota in keys], types=list(cfg.incident_types),
                           people=cfg.people, weekday=_weekday)


def _weekday(day: date) -> str:
    """"Mon 12-07" in the viewer's language (CLDR weekday names)."""
    return format_date(day, "EEE MM-dd", locale=BABEL_LOCALE.get(g.get("lang", "zh-TW"), "zh_Hant_TW"))


def _back(code: str, ok: bool) -> Response:
    flash(gettext(MESSAGES.get(code, code)), "ok" if ok else "error")
    target = request.form.get("type_key", "")
    if target in get_runtime().config.incident_types:
        return redirect(url_for("console_rota_calendar.calendar", type_key=target) + "#swaps")
    return redirect(url_for("console_rota.page"))


def _actor() -> Actor:
    """A swap is between two people: the login acts as the person it is (`console_person`)."""
    return Actor(console_person(get_runtime().config.people) or viewer_name(), Channel.CONSOLE)


def _local(name: str, zone: ZoneInfo) -> datetime | None:
    value = request.form.get(name, "").strip()
    return datetime.fromisoformat(value).replace(tzinfo=zone) if value else None


@bp.post("/console/rota/swaps")
def propose() -> Response:
    cfg = get_runtime().config
    settings = _settings()
    rota = settings.rotas.get(request.form.get("rota", ""))
    zone = ZoneInfo(rota.timezone if rota else cfg.timezone)
    try:
        start, end = _local("start", zone), _local("end", zone)
        back_start, back_end = _local("back_start", zone), _local("back_end", zone)
    except ValueError:
        return _back("bad_time", False)
    if start is None or end is None:
        return _back("bad_time", False)
    with get_runtime().db.session() as s:
        overrides = stored_overrides(s, utcnow())
    out = jobs.run(propose_swap, settings, cfg.people, overrides, rota=request.form.get("rota", ""),
                   partner=request.form.get("partner", ""), start=start, end=end, back_start=back_start,
                   back_end=back_end, actor=_actor(), reason=request.form.get("reason", ""))
    return _back(out.code, out.ok)


@bp.post("/console/rota/swaps/<int:swap_id>/<decision>")
def decide(swap_id: int, decision: str) -> Response:
    command = {"accept": accept_swap, "decline": decline_swap, "withdraw": withdraw_swap}.get(decision)
    if command is None:
        abort(404)
    out = jobs.run(command, swap_id, _actor())
    return _back(out.code, out.ok)


def _month() -> tuple[int, int]:
    raw = request.args.get("month", "")
    try:
        year, month = (int(x) for x in raw.split("-"))
        if 2000 <= year <= 2100 and 1 <= month <= 12:
            return year, month
    except ValueError:
        pass
    today = utcnow().astimezone(ZoneInfo(_settings().hours.timezone)).date()
    return today.year, today.month


def _report(year: int, month: int) -> list[PersonHours]:
    settings = _settings()
    start, end = month_span(year, month, settings.hours.timezone)
    with get_runtime().db.session() as s:
        overrides = overrides_between(s, start, end)
    return hours_report(settings.hours, settings.rotas, start, end, overrides)


@bp.get("/console/rota/hours")
def hours() -> str:
    year, month = _month()
    cfg = get_runtime().config
    settings = _settings()
    rows = _report(year, month)
    names = {k: p.name for k, p in cfg.people.items()}
    prev = date(year, month, 1) - timedelta(days=1)
    nxt = date(year, month, 28) + timedelta(days=4)
    return render_template("rotas/hours.html", rows=rows, names=names, month=f"{year:04d}-{month:02d}",
                           prev=f"{prev.year:04d}-{prev.month:02d}", next=f"{nxt.year:04d}-{nxt.month:02d}",
                           hours=settings.hours, holidays=sorted(d for d in settings.hours.holidays
                                                                  if (d.year, d.month) == (year, month)))


@bp.get("/console/rota/hours.csv")
def hours_csv() -> Response:
    year, month = _month()
    names = {k: p.name for k, p in get_runtime().config.people.items()}
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["month", "person", "name", "weekday_hours", "night_hours", "weekend_hours", "holiday_hours",
                "total_hours"])
    for r in _report(year, month):
        w.writerow([f"{year:04d}-{month:02d}", r.person, names.get(r.person, r.person),
                    *(f"{v:.2f}" for v in (r.weekday, r.night, r.weekend, r.holiday, r.total))])
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="oncall-hours-{year:04d}-{month:02d}.csv"'})
