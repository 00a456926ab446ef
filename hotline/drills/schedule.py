"""Surprise drill schedules: "once a month, at a random minute inside working hours (or nights)".

The window is a set of local weekdays and hours; the moment is drawn uniformly from its minutes
in the coming period by `random.SystemRandom`, so nobody can work it out from the code or the
clock. A schedule whose window holds no minute at all is refused when config.toml loads.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hotline.rotas.policy import WEEKDAYS

PERIODS = {"week": timedelta(days=7), "month": timedelta(days=30)}
PRESETS = {  # name: (days, from, to); a window whose end is before its start runs past midnight
    "working_hours": ((0, 1, 2, 3, 4), time(9), time(18)),
    "nights": ((0, 1, 2, 3, 4, 5, 6), time(22), time(6)),
    "any_time": ((0, 1, 2, 3, 4, 5, 6), time(0), time(0)),
}


@dataclass(frozen=True)
class Window:
    """Local days (0 = Monday) and hours a surprise may start in; `end <= start` wraps past midnight."""

    days: tuple[int, ...]
    start: time
    end: time

    def contains(self, local: datetime) -> bool:
        t = local.time()
        if self.start < self.end:
            return local.weekday() in self.days and self.start <= t < self.end
        if self.start == self.end:  # the whole day
            return local.weekday() in self.days
        # Past midnight: the part after midnight belongs to the day the window opened.
        if t >= self.start:
            return local.weekday() in self.days
        return t < self.end and (local.weekday() - 1) % 7 in self.days


@dataclass(frozen=True)
class Schedule:
    every: str  # "week" | "month"
    window: Window
    timezone: str

    @property
    def period(self) -> timedelta:
        return PERIODS[self.every]

    def to_json(self) -> dict[str, Any]:
        w = self.window
        return {"every": self.every, "days": list(w.days), "from": w.start.strftime("%H:%M"),
                "to": w.end.strftime("%H:%M"), "timezone": self.timezone}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Schedule:
        return cls(data["every"], Window(tuple(data["days"]), time.fromisoformat(data["from"]),
                                         time.fromisoformat(data["to"])), data["timezone"])


def candidate_minutes(schedule: Schedule, period_start: datetime) -> Iterator[datetime]:
    """Every whole minute of the period, starting at `period_start`, inside the window (UTC)."""
    zone = ZoneInfo(schedule.timezone)
    first = period_start.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
    for i in range(int(schedule.period.total_seconds() // 60)):
        moment = first + timedelta(minutes=i)
        if schedule.window.contains(moment.astimezone(zone)):
            yield moment


def pick_time(schedule: Schedule, period_start: datetime, rng: random.Random | None = None) -> datetime | None:
    """A moment nobody can predict: uniform over the window's minutes in the period (None: none)."""
    minutes = list(candidate_minutes(schedule, period_start))
    if not minutes:
        return None
    return (rng or random.SystemRandom()).choice(minutes)


def parse_schedule(timezone: str, value: Any, problem: Callable[[str, Any, str], None]) -> Schedule | None:
    """The `schedule` table of a scenario; problems are reported through `problem(key, value, fix)`."""
    example = '{ every = "month", window = "working_hours" }'
    if not isinstance(value, dict):
        problem("schedule", value, f"a surprise drill needs a schedule, e.g. schedule = {example}")
        return None
    every = value.get("every", "month")
    if every not in PERIODS:
        problem("schedule.every", every, f"use one of: {', '.join(PERIODS)}")
        return None
    window = value.get("window", "working_hours")
    start: time | None  # a time on every path that reaches the Window below
    end: time | None
    if isinstance(window, str):
        if window not in PRESETS:
            problem("schedule.window", window, f"use one of {', '.join(PRESETS)}, or a table "
                                               '{ days = ["mon", "tue"], from = "09:00", to = "18:00" }')
            return None
        days, start, end = PRESETS[window]
    elif isinstance(window, dict):
        raw_days = window.get("days", list(WEEKDAYS))
        days = tuple(sorted({i for d in raw_days if isinstance(d, str) for i, name in enumerate(WEEKDAYS)
                             if d.lower() in (name, name[:3])})) if isinstance(raw_days, list) else ()
        start, end = _clock(window.get("from")), _clock(window.get("to"))
        if start is None or end is None:
            problem("schedule.window", window, 'give from and to as "HH:MM", e.g. from = "09:00", to = "18:00"')
            return None
        if isinstance(raw_days, list) and len(days) != len(raw_days):
            problem("schedule.window.days", raw_days, f"use day names: {', '.join(WEEKDAYS)}")
            return None
    else:
        problem("schedule.window", window, f"use a preset ({', '.join(PRESETS)}) or a table with days, from, to")
        return None
    schedule = Schedule(every, Window(days, start, end), timezone)
    if next(candidate_minutes(schedule, datetime(2026, 1, 5, tzinfo=UTC)), None) is None:
        problem("schedule.window", window, "this window holds no moment at all; give it at least one day and "
                                           "a `to` different from `from` (or equal, for the whole day)")
        return None
    return schedule


def _clock(value: Any) -> time | None:
    try:
        return time.fromisoformat(value) if isinstance(value, str) and len(value) == 5 else None
    except ValueError:
        return None
