"""On-call hours per person per month, for the on-call allowance: weekday, night, weekend and
public-holiday hours, from the one resolver (`hotline.rotas.resolve.timeline`) with the
overrides and accepted swaps that were in effect.

Rules:
- A person is on call while any rota has them on call; two rotas at once count once.
- Each moment counts in one column, by the local date and time in `[oncall.hours]`'s zone:
  a public holiday (`holidays`) first, then Saturday or Sunday, then the night window
  (`night`, "22:00-07:00": a window opening on a weekday evening is night until it ends, but
  its hours past midnight into a Saturday are weekend hours), else weekday.
- Hours are real elapsed time, so a night across a DST change is one hour shorter or longer.
- Persons named directly in a policy (not through a rota) are rung, not on call: not counted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hotline.rotas.policy import HoursSettings, Override, Rota
from hotline.rotas.resolve import timeline

KINDS = ("weekday", "night", "weekend", "holiday")


@dataclass(frozen=True)
class PersonHours:
    person: str
    weekday: float
    night: float
    weekend: float
    holiday: float

    @property
    def total(self) -> float:
        return self.weekday + self.night + self.weekend + self.holiday


def month_span(year: int, month: int, timezone: str) -> tuple[datetime, datetime]:
    """The month's first and the next month's first local midnight, in UTC."""
    zone = ZoneInfo(timezone)
    nxt = date(year + month // 12, month % 12 + 1, 1)
    return (datetime(year, month, 1, tzinfo=zone).astimezone(UTC),
            datetime(nxt.year, nxt.month, 1, tzinfo=zone).astimezone(UTC))


def kind_at(hours: HoursSettings, moment: datetime) -> str:
    """The column one moment counts in."""
    zone = ZoneInfo(hours.timezone)
    day = moment.astimezone(zone).date()
    if day in hours.holidays:
        return "holiday"
    if day.weekday() >= 5:
        return "weekend"
    for opened in (day - timedelta(days=1), day):
        closes = opened + timedelta(days=1) if hours.night_end <= hours.night_start else opened
        since = datetime.combine(opened, hours.night_start, zone).astimezone(UTC)
        until = datetime.combine(closes, hours.night_end, zone).astimezone(UTC)
        if since <= moment < until:
            return "night"
    return "weekday"


def kind_pieces(hours: HoursSettings, start: datetime, end: datetime) -> list[tuple[datetime, datetime, str]]:
    """[start, end) cut where the column may change (local midnights, night edges), each piece
    with its column."""
    zone = ZoneInfo(hours.timezone)
    cuts = {start, end}
    day = start.astimezone(zone).date() - timedelta(days=1)
    while day <= end.astimezone(zone).date():
        for clock in (datetime.min.time(), hours.night_start, hours.night_end):
            cuts.add(datetime.combine(day, clock, zone).astimezone(UTC))
        day += timedelta(days=1)
    points = sorted(c for c in cuts if start <= c <= end)
    return [(a, b, kind_at(hours, a)) for a, b in zip(points, points[1:], strict=False)]


def on_call_spans(rotas: Iterable[Rota], start: datetime, end: datetime,
                  overrides: Sequence[Override]) -> dict[str, list[tuple[datetime, datetime]]]:
    """Per person, the merged stretches of [start, end) in which some rota has them on call."""
    raw: dict[str, list[tuple[datetime, datetime]]] = {}
    for rota in rotas:
        for stretch in timeline(rota, start, end, overrides):
            if stretch.person:
                raw.setdefault(stretch.person, []).append((stretch.since, stretch.until))
    merged: dict[str, list[tuple[datetime, datetime]]] = {}
    for person, spans in raw.items():
        out: list[tuple[datetime, datetime]] = []
        for a, b in sorted(spans):
            if out and a <= out[-1][1]:
                out[-1] = (out[-1][0], max(out[-1][1], b))
            else:
                out.append((a, b))
        merged[person] = out
    return merged


def hours_report(hours: HoursSettings, rotas: Mapping[str, Rota], start: datetime, end: datetime,
                 overrides: Sequence[Override] = ()) -> list[PersonHours]:
    """Each person's on-call hours in [start, end), split into the four columns, by person key."""
    return hours_of(hours, on_call_spans(rotas.values(), start, end, overrides))


def hours_of(hours: HoursSettings, stretches: Mapping[str, Sequence[tuple[datetime, datetime]]]
             ) -> list[PersonHours]:
    """Each person's hours in their (merged, non-overlapping) stretches, split into the four
    columns by the same rules: the rotas' month, or the hours a drill kept its participants."""
    ends = [t for spans in stretches.values() for span in spans for t in span]
    if not ends:
        return []
    pieces = kind_pieces(hours, min(ends), max(ends))
    out = []
    for person, spans in sorted(stretches.items()):
        totals = dict.fromkeys(KINDS, timedelta())
        for a, b in spans:
            for p_start, p_end, kind in pieces:
                overlap = min(b, p_end) - max(a, p_start)
                if overlap > timedelta():
                    totals[kind] += overlap
        out.append(PersonHours(person, *(totals[k] / timedelta(hours=1) for k in KINDS)))
    return out
