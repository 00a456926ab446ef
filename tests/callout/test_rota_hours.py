"""The on-call hours report against hand-counted months: February 2026 in Asia/Taipei (no DST,
two public holidays, an override) and March 2026 in Europe/Berlin (the night of 28-29 March is
an hour short)."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from hotline.rotas.hours import PersonHours, hours_report, kind_at, month_span
from hotline.rotas.policy import HoursSettings, Layer, Override, Rota, Window

NIGHTS = Window(frozenset(range(7)), time(22), time(7))


def rota(tz: str) -> Rota:
    """chen all week, wang every night 22:00-07:00 (a layer over chen's)."""
    layers = (Layer("weekly", ("chen",), date(2026, 1, 5), time(9), 168),
              Layer("nights", ("wang",), date(2026, 1, 5), time(22), 24, (NIGHTS,)))
    return Rota("it", ("chen", "wang"), 0, time(9), tz, date(2026, 1, 5), 1, (), layers)


def by_person(rows: list[PersonHours]) -> dict[str, tuple[float, float, float, float]]:
    return {r.person: (r.weekday, r.night, r.weekend, r.holiday) for r in rows}


TAIPEI = HoursSettings("Asia/Taipei", time(22), time(7), frozenset({date(2026, 2, 16), date(2026, 2, 17)}))


def test_a_month_in_taipei_counted_by_hand():
    # February 2026: 28 days; 8 weekend days (Sun 1, 8, 15, 22; Sat 7, 14, 21, 28), two holidays
    # (Mon 16, Tue 17), 18 weekdays. wang has 9 night hours per date (00-07, 22-24), chen 15.
    start, end = month_span(2026, 2, "Asia/Taipei")
    got = by_person(hours_report(TAIPEI, {"it": rota("Asia/Taipei")}, start, end))
    assert got == {"chen": (18 * 15, 0, 8 * 15, 2 * 15), "wang": (0, 18 * 9, 8 * 9, 2 * 9)}


def test_an_override_moves_its_hours_to_the_person_covering():
    # Lin covers Friday 20 Feb 20:00 to Saturday 21 Feb 10:00: from chen Fri 20-22 (weekday) and
    # Sat 07-10 (weekend); from wang Fri 22-24 (night) and Sat 00-07 (weekend).
    tpe = ZoneInfo("Asia/Taipei")
    cover = Override("it", "lin", datetime(2026, 2, 20, 20, tzinfo=tpe), datetime(2026, 2, 21, 10, tzinfo=tpe))
    start, end = month_span(2026, 2, "Asia/Taipei")
    got = by_person(hours_report(TAIPEI, {"it": rota("Asia/Taipei")}, start, end, [cover]))
    assert got == {"chen": (270 - 2, 0, 120 - 3, 30), "lin": (2, 2, 10, 0), "wang": (0, 162 - 2, 72 - 7, 18)}


def test_a_month_across_the_march_change_in_berlin():
    # March 2026 has 743 hours in Berlin (29 March, a Sunday, has 23). 9 weekend days (Sun 1, 8,
    # 15, 22, 29; Sat 7, 14, 21, 28), 22 weekdays, no holiday. wang's night opening Saturday 28
    # at 22:00 is 8 hours: the lost hour is a weekend hour of wang's.
    berlin = HoursSettings("Europe/Berlin", time(22), time(7), frozenset())
    start, end = month_span(2026, 3, "Europe/Berlin")
    rows = hours_report(berlin, {"it": rota("Europe/Berlin")}, start, end)
    assert by_person(rows) == {"chen": (22 * 15, 0, 9 * 15, 0), "wang": (0, 22 * 9, 9 * 9 - 1, 0)}
    assert sum(r.total for r in rows) == 743


def test_two_rotas_at_once_count_once_and_the_night_is_configurable():
    late = HoursSettings("Asia/Taipei", time(23), time(6), frozenset())
    solo = Rota("pr", ("chen",), 0, time(9), "Asia/Taipei", date(2026, 1, 5))
    start, end = month_span(2026, 2, "Asia/Taipei")
    got = by_person(hours_report(late, {"it": rota("Asia/Taipei"), "pr": solo}, start, end))
    assert got["chen"] == (20 * 24 - 20 * 7, 20 * 7, 8 * 24, 0)  # 20 weekdays, 7 night hours each
    tpe = ZoneInfo("Asia/Taipei")
    assert kind_at(late, datetime(2026, 2, 6, 23, 30, tzinfo=tpe)) == "night"  # Friday late
    assert kind_at(late, datetime(2026, 2, 7, 1, tzinfo=tpe)) == "weekend"  # past midnight: Saturday
    assert kind_at(late, datetime(2026, 2, 9, 5, 59, tzinfo=tpe)) == "night"  # Monday early
    assert kind_at(late, datetime(2026, 2, 9, 6, tzinfo=tpe)) == "weekday"
