"""Who is on call, at explicit instants: weekly hand-offs, midnight, overrides, DST and not."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from hotline.rotas.policy import Override, Policy, Rota, Step
from hotline.rotas.resolve import Contact, next_on_call, on_call_now, resolve_contacts, shifts_of, upcoming
from tests.support.callout import PEOPLE

TPE = ZoneInfo("Asia/Taipei")
NYC = ZoneInfo("America/New_York")
IT = Rota("it", ("chen", "wang"), 0, time(9, 0), "Asia/Taipei", date(2026, 1, 5))


def tpe(*args: int) -> datetime:
    return datetime(*args, tzinfo=TPE)


@pytest.mark.parametrize(("moment", "person"), [
    (tpe(2026, 1, 5, 9, 0), "chen"),  # first hand-off
    (tpe(2026, 1, 11, 23, 59), "chen"),
    (tpe(2026, 1, 12, 8, 59, 59), "chen"),  # one second before the hand-off
    (tpe(2026, 1, 12, 9, 0), "wang"),  # at the hand-off
    (tpe(2026, 1, 19, 9, 0), "chen"),
    (tpe(2026, 1, 5, 8, 59), "wang"),  # before the anchor: extrapolated backwards
    (tpe(2025, 12, 29, 9, 0), "wang"),
    (tpe(2026, 12, 28, 9, 0), "wang"),  # 51 weeks later
])
def test_weekly_rotation(moment, person):
    assert on_call_now(IT, moment).person == person


def test_stretch_bounds_are_the_handoffs():
    now = on_call_now(IT, tpe(2026, 1, 14, 3, 0))
    expected = ("wang", tpe(2026, 1, 12, 9), tpe(2026, 1, 19, 9), "rotation")
    assert (now.person, now.since, now.until, now.reason) == expected


def test_handoff_at_midnight():
    night = Rota("night", ("lin", "wang"), 6, time(0, 0), "Asia/Taipei", date(2026, 1, 4))  # Sundays 00:00
    assert on_call_now(night, tpe(2026, 1, 10, 23, 59, 59)).person == "lin"  # Saturday night: still lin
    assert on_call_now(night, tpe(2026, 1, 11, 0, 0)).person == "wang"
    assert on_call_now(night, tpe(2026, 1, 4, 0, 0)).person == "lin"
    assert on_call_now(night, tpe(2026, 1, 3, 23, 59, 59)).person == "wang"
    assert on_call_now(night, tpe(2026, 1, 18, 0, 0)).person == "lin"


def test_two_week_shifts():
    rota = Rota("it", ("chen", "wang"), 0, time(9, 0), "Asia/Taipei", date(2026, 1, 5), shift_weeks=2)
    people = [on_call_now(rota, tpe(2026, 1, 5, 9) + timedelta(weeks=w)).person for w in range(5)]
    assert people == ["chen", "chen", "wang", "wang", "chen"]


XMAS = Override("it", "lin", tpe(2026, 12, 20, 18, 0), tpe(2026, 12, 22, 9, 0))  # crosses Mon 21st 09:00


@pytest.mark.parametrize(("moment", "person", "reason"), [
    (tpe(2026, 12, 20, 17, 59), "wang", "rotation"),  # week of 14th is wang's
    (tpe(2026, 12, 20, 18, 0), "lin", "override"),
    (tpe(2026, 12, 21, 9, 0), "lin", "override"),  # the hand-off happens under the override
    (tpe(2026, 12, 22, 8, 59), "lin", "override"),
    (tpe(2026, 12, 22, 9, 0), "chen", "rotation"),  # back to the new week's person, not the old one
])
def test_override_crossing_a_handoff(moment, person, reason):
    rota = Rota(**{**IT.__dict__, "overrides": (XMAS,)})
    got = on_call_now(rota, moment)
    assert (got.person, got.reason) == (person, reason)


def test_runtime_overrides_only_apply_to_their_rota():
    other = Override("mgmt", "lin", tpe(2026, 1, 1), tpe(2026, 2, 1))
    mine = Override("it", "director", tpe(2026, 1, 13), tpe(2026, 1, 14))
    assert on_call_now(IT, tpe(2026, 1, 13, 12), [other]).person == "wang"
    assert on_call_now(IT, tpe(2026, 1, 13, 12), [other, mine]).person == "director"


def test_upcoming_and_next_for_a_dashboard():
    rota = Rota(**{**IT.__dict__, "overrides": (XMAS,)})
    stretches = upcoming(rota, tpe(2026, 12, 15, 12), 4)
    assert [(s.person, s.since, s.until) for s in stretches] == [
        ("wang", tpe(2026, 12, 14, 9), tpe(2026, 12, 20, 18)),
        ("lin", tpe(2026, 12, 20, 18), tpe(2026, 12, 22, 9)),
        ("chen", tpe(2026, 12, 22, 9), tpe(2026, 12, 28, 9)),
        ("wang", tpe(2026, 12, 28, 9), tpe(2027, 1, 4, 9)),
    ]
    nxt = next_on_call(rota, tpe(2026, 12, 15, 12))
    assert nxt is not None and (nxt.person, nxt.since) == ("lin", tpe(2026, 12, 20, 18))
    assert next_on_call(Rota("solo", ("chen",), 0, time(9), "Asia/Taipei", date(2026, 1, 5)), T_ANY) is None


T_ANY = tpe(2026, 6, 1, 12)


def test_my_on_call_shifts_across_rotas_with_an_override():
    """"My on-call shifts": every stretch one person covers on any rota within the horizon, the
    running one first; an override they cover counts, one that covers them is cut out."""
    it = Rota(**{**IT.__dict__, "overrides": (XMAS,)})
    night = Rota("night", ("lin", "wang"), 6, time(0, 0), "Asia/Taipei", date(2026, 1, 4))
    got = shifts_of("lin", {"it": it, "night": night}, tpe(2026, 12, 20, 12), horizon=timedelta(days=21))
    assert [(s.rota, s.since, s.until, s.reason) for s in got] == [
        ("night", tpe(2026, 12, 20, 0), tpe(2026, 12, 27, 0), "rotation"),  # running now
        ("it", tpe(2026, 12, 20, 18), tpe(2026, 12, 22, 9), "override"),
        ("night", tpe(2027, 1, 3, 0), tpe(2027, 1, 10, 0), "rotation"),
    ]
    wang = shifts_of("wang", {"it": it}, tpe(2026, 12, 15, 12), horizon=timedelta(days=14))
    assert [(s.since, s.until) for s in wang] == [(tpe(2026, 12, 14, 9), tpe(2026, 12, 20, 18)),  # cut short
                                                  (tpe(2026, 12, 28, 9), tpe(2027, 1, 4, 9))]
    assert shifts_of("director", {"it": it}, tpe(2026, 12, 15, 12)) == []


# New York: DST starts Sun 2026-03-08 02:00 (clocks jump to 03:00), ends Sun 2026-11-01 02:00.
NY = Rota("ny", ("chen", "wang"), 6, time(9, 0), "America/New_York", date(2026, 3, 1))


@pytest.mark.parametrize(("utc", "person"), [
    (datetime(2026, 3, 1, 14, 0, tzinfo=UTC), "chen"),  # 09:00 EST
    (datetime(2026, 3, 8, 12, 59, tzinfo=UTC), "chen"),  # 08:59 EDT: wall clock, not 24*7 hours
    (datetime(2026, 3, 8, 13, 0, tzinfo=UTC), "wang"),  # 09:00 EDT, only 167 hours after the last
    (datetime(2026, 10, 25, 13, 0, tzinfo=UTC), "chen"),  # week 34, 09:00 EDT
    (datetime(2026, 11, 1, 13, 59, tzinfo=UTC), "chen"),  # 08:59 EST
    (datetime(2026, 11, 1, 14, 0, tzinfo=UTC), "wang"),  # 09:00 EST, 169 hours later
])
def test_dst_zone_keeps_wall_clock_handoffs(utc, person):
    assert on_call_now(NY, utc).person == person


def test_handoff_inside_the_spring_gap_still_happens_once():
    gap = Rota("gap", ("chen", "wang"), 6, time(2, 30), "America/New_York", date(2026, 3, 1))
    hours = [datetime(2026, 3, 7, 12, tzinfo=UTC) + timedelta(minutes=15 * i) for i in range(4 * 48)]
    people = [on_call_now(gap, h).person for h in hours]
    changes = sum(1 for a, b in zip(people, people[1:], strict=False) if a != b)
    assert (people[0], people[-1], changes) == ("chen", "wang", 1)


def test_naive_now_is_refused():
    with pytest.raises(ValueError):
        on_call_now(IT, datetime(2026, 1, 5, 9))


def test_resolve_contacts_orders_dedupes_and_appends_fallback():
    policy = Policy("cyber_security", (Step("rota", "it", 30), Step("person", "lin", 25),
                                       Step("person", "chen", 25)))
    fallback = (Step("person", "director", 40), Step("person", "lin", 25))
    got = resolve_contacts(policy, {"it": IT}, [], tpe(2026, 1, 6, 3), people=PEOPLE, fallback=fallback)
    assert got == [
        Contact("chen", "Chen Wei", "+886912000001", 30, 0, "rota it"),
        Contact("lin", "Lin Mei", "+886912000002", 25, 1, "person lin"),
        # step 2 (chen again) dropped: already rung at step 0 in this round
        Contact("director", "Director Lee", "+886912000009", 40, 3, "fallback person director", True),
        # lin again in the fallback: dropped
    ]


def test_resolve_contacts_follows_the_rota_and_overrides():
    policy = Policy("p", (Step("rota", "it", 25),))
    at = tpe(2026, 1, 13, 3)
    assert [c.person for c in resolve_contacts(policy, {"it": IT}, [], at, people=PEOPLE)] == ["wang"]
    swap = Override("it", "lin", tpe(2026, 1, 13), tpe(2026, 1, 14))
    assert [c.person for c in resolve_contacts(policy, {"it": IT}, [swap], at, people=PEOPLE)] == ["lin"]
