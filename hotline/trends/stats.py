"""The trends as pure functions of plain rows (`hotline.trends.rows`), tested with hand-built data.

- Times (seconds from the report to the first ring, the first answer, the accept), as median and
  90th percentile (nearest rank: a value that happened, never one between two), by incident type,
  by the person who accepted (over the reports they took), and by the hour of day the report came
  in (the hotline's time zone).
- Unanswered calls per person: calls that rang out, were busy, failed or met voicemail, out of
  the calls placed to them (a call ended because someone else accepted counts as neither).
- Reports per ISO week, by type and by hour of day; the false-alarm rate: of the reports given a verdict
  (`hotline.crisis`: activated or a false alarm), the share that were false alarms.

Real incidents and drills are kept apart: `split` gives each its own `Trends`.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hotline.base.states import AttemptState
from hotline.crisis.models import CrisisState
from hotline.trends.rows import CallRow, IncidentRow

MEASURES = ("first_ring", "first_answer", "accept")
UNANSWERED = frozenset({AttemptState.NO_ANSWER, AttemptState.BUSY, AttemptState.FAILED, AttemptState.MACHINE})
NOT_COUNTED = frozenset({AttemptState.CANCELED, AttemptState.QUEUED, AttemptState.RINGING, None})


@dataclass(frozen=True)
class Summary:
    n: int  # incidents that had this moment
    median: float | None
    p90: float | None


@dataclass(frozen=True)
class Unanswered:
    person: str
    name: str
    unanswered: int
    placed: int

    @property
    def rate(self) -> float:
        return self.unanswered / self.placed if self.placed else 0.0


@dataclass(frozen=True)
class Trends:
    reports: int
    overall: dict[str, Summary]  # measure -> summary
    by_type: dict[str, dict[str, Summary]]  # type -> measure -> summary
    by_person: dict[str, dict[str, Summary]]  # acceptor -> measure -> summary, over the reports they accepted
    by_hour: dict[int, dict[str, Summary]]  # local hour 0-23 -> measure -> summary
    unanswered: tuple[Unanswered, ...]
    per_week: tuple[tuple[str, int], ...]  # ("2026-W49", reports), every week of the window in order
    per_type: dict[str, int]
    per_hour: dict[int, int]  # local hour 0-23 -> reports
    verdicts: int  # reports given a verdict
    false_alarms: int

    @property
    def false_alarm_rate(self) -> float | None:
        return self.false_alarms / self.verdicts if self.verdicts else None


def nearest_rank(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0 < q <= 100) by nearest rank; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(q / 100 * len(ordered)), 1) - 1]


def summary(values: Sequence[float]) -> Summary:
    if not values:
        return Summary(0, None, None)
    return Summary(len(values), round(statistics.median(values), 1), round(nearest_rank(values, 90) or 0.0, 1))


def seconds(row: IncidentRow, measure: str) -> float | None:
    moment = {"first_ring": row.first_ring_at, "first_answer": row.first_answer_at, "accept": row.accepted_at}[measure]
    return None if moment is None else max((moment - row.reported_at).total_seconds(), 0.0)


def _summaries(rows: Iterable[IncidentRow]) -> dict[str, Summary]:
    rows = list(rows)
    return {m: summary([v for v in (seconds(r, m) for r in rows) if v is not None]) for m in MEASURES}


def _grouped(rows: Iterable[IncidentRow], key: Callable[[IncidentRow], object]) -> dict[object, list[IncidentRow]]:
    groups: dict[object, list[IncidentRow]] = {}
    for r in rows:
        groups.setdefault(key(r), []).append(r)
    return groups


def iso_week(moment: datetime, tz: ZoneInfo) -> str:
    year, week, _ = moment.astimezone(tz).isocalendar()
    return f"{year}-W{week:02d}"


def weeks_between(since: datetime, until: datetime, tz: ZoneInfo) -> list[str]:
    """Every ISO week from `since` up to `until` (excluded), so a week without reports shows as 0."""
    found: list[str] = []
    day = since
    while day < until:
        week = iso_week(day, tz)
        if not found or found[-1] != week:
            found.append(week)
        day += timedelta(days=1)
    return found


def unanswered(calls: Iterable[CallRow]) -> tuple[Unanswered, ...]:
    names: dict[str, str] = {}
    tally: dict[str, list[int]] = {}  # person -> [unanswered, placed]
    for c in calls:
        if c.outcome in NOT_COUNTED and not c.answered:
            continue
        names.setdefault(c.person, c.name)
        row = tally.setdefault(c.person, [0, 0])
        row[1] += 1
        row[0] += not c.answered and c.outcome in UNANSWERED
    out = [Unanswered(person, names[person], n, placed) for person, (n, placed) in tally.items()]
    return tuple(sorted(out, key=lambda u: (-u.rate, u.name)))


def trends(incidents: Sequence[IncidentRow], calls: Sequence[CallRow], since: datetime, until: datetime,
           tz: ZoneInfo) -> Trends:
    by_type = {str(k): _summaries(v) for k, v in sorted(_grouped(incidents, lambda r: r.type_key).items(),
                                                         key=lambda kv: str(kv[0]))}
    accepted = _grouped((r for r in incidents if r.accepted_by), lambda r: r.accepted_by)
    by_person = {str(k): _summaries(v) for k, v in sorted(accepted.items(), key=lambda kv: str(kv[0]))}
    hours = _grouped(incidents, lambda r: r.reported_at.astimezone(tz).hour)
    by_hour = {h: _summaries(hours.get(h, [])) for h in range(24)}
    weeks = dict.fromkeys(weeks_between(since, until, tz), 0)
    for r in incidents:
        week = iso_week(r.reported_at, tz)
        weeks[week] = weeks.get(week, 0) + 1
    per_type = {str(k): len(v) for k, v in sorted(_grouped(incidents, lambda r: r.type_key).items(),
                                                  key=lambda kv: str(kv[0]))}
    verdicts = [r for r in incidents if r.verdict is not None]
    return Trends(len(incidents), _summaries(incidents), by_type, by_person, by_hour, unanswered(calls),
                  tuple(sorted(weeks.items())), per_type, {h: len(hours.get(h, [])) for h in range(24)}, len(verdicts),
                  sum(r.verdict == CrisisState.FALSE_ALARM for r in verdicts))


def split(incidents: Sequence[IncidentRow], calls: Sequence[CallRow], since: datetime, until: datetime,
          tz: ZoneInfo) -> tuple[Trends, Trends]:
    """(real incidents, drills): a drill's quick accept must not flatter the real figures."""
    return (trends([r for r in incidents if not r.drill], [c for c in calls if not c.drill], since, until, tz),
            trends([r for r in incidents if r.drill], [c for c in calls if c.drill], since, until, tz))
