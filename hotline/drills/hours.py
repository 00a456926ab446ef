"""The on-call allowance for a drill's participants: the hours the drill kept each of them on
call, split into the same four columns (weekday, night, weekend, public holiday) by the same
rules and `[oncall.hours]` as the rotas' monthly report (`hotline.rotas.hours.hours_of`).

A participant is on call for the whole drill, from its start to its end (or now, while it runs):
whoever is named in a drill may be rung at any moment of it. A drill that never started kept
nobody on call.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime

from hotline.drills.models import Drill
from hotline.rotas.hours import PersonHours, hours_of
from hotline.rotas.policy import HoursSettings


def drill_hours(hours: HoursSettings, drill: Drill, now: datetime) -> list[PersonHours]:
    if drill.started_at is None:
        return []
    until = drill.ended_at or now
    if until <= drill.started_at:
        return []
    return hours_of(hours, {str(person): [(drill.started_at, until)] for person in drill.participants})


def to_csv(drill_id: int, rows: list[PersonHours], names: dict[str, str]) -> str:
    """The same columns as the rotas' CSV, the drill in place of the month."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["drill", "person", "name", "weekday_hours", "night_hours", "weekend_hours", "holiday_hours",
                "total_hours"])
    for r in rows:
        w.writerow([drill_id, r.person, names.get(r.person, r.person),
                    *(f"{v:.2f}" for v in (r.weekday, r.night, r.weekend, r.holiday, r.total))])
    return out.getvalue()
