"""The on-call allowance for a drill's participants, against hand-counted drills: the same four
columns and rules as the rotas' report (hotline.rotas.hours), each participant on call from the
drill's start to its end; in Asia/Taipei (no DST) and in Europe/Berlin across the spring change."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from hotline.drills.hours import drill_hours, to_csv
from hotline.drills.models import Drill
from hotline.rotas.policy import HoursSettings

TAIPEI = ZoneInfo("Asia/Taipei")
BERLIN = ZoneInfo("Europe/Berlin")


def drill(start: datetime, end: datetime | None, people: tuple[str, ...] = ("chen", "lin")) -> Drill:
    return Drill(id=7, participants=list(people), started_at=start, ended_at=end)


def columns(rows) -> dict[str, tuple[float, float, float, float]]:
    return {r.person: (round(r.weekday, 2), round(r.night, 2), round(r.weekend, 2), round(r.holiday, 2))
            for r in rows}


def test_a_friday_evening_drill_into_saturday_in_taipei():
    """Fri 6 Mar 2026 21:00 to Sat 01:30: 1 h weekday, 2 h night (22-24), 1.5 h weekend."""
    hours = HoursSettings("Asia/Taipei", time(22), time(7))
    rows = drill_hours(hours, drill(datetime(2026, 3, 6, 21, tzinfo=TAIPEI), datetime(2026, 3, 7, 1, 30,
                                                                                     tzinfo=TAIPEI)),
                       datetime(2026, 3, 8, tzinfo=TAIPEI))
    assert columns(rows) == {"chen": (1.0, 2.0, 1.5, 0.0), "lin": (1.0, 2.0, 1.5, 0.0)}
    csv = to_csv(7, rows, {"chen": "Chen Wei"})
    assert csv.splitlines()[1] == "7,chen,Chen Wei,1.00,2.00,1.50,0.00,4.50"


def test_a_holiday_and_a_running_drill_counts_until_now():
    hours = HoursSettings("Asia/Taipei", time(22), time(7), frozenset({date(2026, 2, 16)}))
    start = datetime(2026, 2, 16, 10, tzinfo=TAIPEI)
    rows = drill_hours(hours, drill(start, None, ("wang",)), datetime(2026, 2, 16, 12, 15, tzinfo=TAIPEI))
    assert columns(rows) == {"wang": (0.0, 0.0, 0.0, 2.25)}
    assert drill_hours(hours, Drill(id=8, participants=["wang"], started_at=None, ended_at=None), start) == []


def test_the_night_the_clocks_go_forward_in_berlin_is_an_hour_short():
    """Across the change (Sat 28 Mar 23:00 .. Sun 29 08:00) a drill is 8 real hours, not 9 (all
    weekend); an ordinary weeknight, Mon 23 21:00 .. Tue 08:00, is 2 h weekday and 9 h night."""
    hours = HoursSettings("Europe/Berlin", time(22), time(7))
    rows = drill_hours(hours, drill(datetime(2026, 3, 28, 23, tzinfo=BERLIN), datetime(2026, 3, 29, 8,
                                                                                      tzinfo=BERLIN), ("chen",)),
                       datetime(2026, 4, 1, tzinfo=BERLIN))
    assert columns(rows) == {"chen": (0.0, 0.0, 8.0, 0.0)}
    rows = drill_hours(hours, drill(datetime(2026, 3, 23, 21, tzinfo=BERLIN), datetime(2026, 3, 24, 8,
                                                                                      tzinfo=BERLIN), ("chen",)),
                       datetime(2026, 4, 1, tzinfo=BERLIN))
    assert columns(rows) == {"chen": (2.0, 9.0, 0.0, 0.0)}
