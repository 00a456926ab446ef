"""Layered rotas (issue #28): hand-checked layers and restrictions, the property that a weekly rota
answers exactly as the resolver before layers did (tests/support/weekly_rota.py), the property
that the calendar's timeline is what the resolver answers at every moment (no gap or double
booking that the layers do not imply), and config validation naming file, key and fix."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hotline.base.config import ConfigError, Person, load_config
from hotline.rotas.policy import Layer, OncallSettings, Override, Policy, Rota, Step, Window
from hotline.rotas.resolve import on_call_now, person_on_call, resolve_contacts, timeline, upcoming
from tests.support import weekly_rota

TPE = ZoneInfo("Asia/Taipei")
BER = ZoneInfo("Europe/Berlin")
ZONES = ["Asia/Taipei", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe"]
PEOPLE = ("chen", "wang", "lin", "huang")
WEEKEND = frozenset({5, 6})
ALL_DAYS = frozenset(range(7))


def tpe(*a: int) -> datetime:
    return datetime(*a, tzinfo=TPE)  # type: ignore[misc]


def ber(*a: int) -> datetime:
    return datetime(*a, tzinfo=BER)  # type: ignore[misc]


def layered(*layers: Layer, tz: str = "Asia/Taipei", overrides: tuple[Override, ...] = ()) -> Rota:
    first = layers[0]
    members = tuple(dict.fromkeys(m for layer in layers for m in layer.members))
    return Rota("it", members, first.start.weekday(), first.handoff, tz, first.start, 1, overrides, layers)


# A weekly base, a weekend-daytime layer and a night layer over it.
WEEKLY = Layer("weekly", ("chen", "wang"), date(2026, 1, 5), time(9), 168)
WEEKENDS = Layer("weekends", ("lin",), date(2026, 1, 3), time(8), 24, (Window(WEEKEND, time(8), time(20)),))
NIGHTS = Layer("nights", ("huang", "lin"), date(2026, 1, 5), time(22), 24, (Window(ALL_DAYS, time(22), time(7)),))
THREE = layered(WEEKLY, WEEKENDS, NIGHTS)


@pytest.mark.parametrize("moment, person, layer", [
    (tpe(2026, 1, 5, 12), "chen", "weekly"),  # Monday noon: the weekly turn
    (tpe(2026, 1, 5, 22), "huang", "nights"),  # Monday 22:00: the night layer's first turn
    (tpe(2026, 1, 6, 6, 59), "huang", "nights"),  # the night runs to 07:00 the next morning
    (tpe(2026, 1, 6, 7), "chen", "weekly"),
    (tpe(2026, 1, 6, 23), "lin", "nights"),  # second night: the turn passed at 22:00
    (tpe(2026, 1, 10, 12), "lin", "weekends"),  # Saturday daytime
    (tpe(2026, 1, 10, 20, 30), "chen", "weekly"),  # Saturday 20:00-22:00: nobody above the week
    (tpe(2026, 1, 12, 12), "wang", "weekly"),  # the next week
])
def test_later_layers_win_where_they_are_active(moment: datetime, person: str, layer: str):
    got = on_call_now(THREE, moment)
    assert (got.person, got.layer) == (person, layer)
    assert person_on_call(THREE, moment) == person


def test_overrides_still_win_over_every_layer():
    cover = Override("it", "wang", tpe(2026, 1, 5, 21), tpe(2026, 1, 6, 1))
    assert person_on_call(THREE, tpe(2026, 1, 5, 23), [cover]) == "wang"
    assert person_on_call(THREE, tpe(2026, 1, 6, 1), [cover]) == "huang"
    got = on_call_now(THREE, tpe(2026, 1, 5, 23), [cover])
    assert (got.since, got.until, got.reason) == (cover.start, cover.end, "override")


def test_restricted_layers_alone_leave_the_gaps_they_imply():
    rota = layered(WEEKENDS)
    assert person_on_call(rota, tpe(2026, 1, 10, 12)) == "lin"
    gap = on_call_now(rota, tpe(2026, 1, 7, 12))  # a Wednesday: no window
    assert (gap.person, gap.reason) == ("", "nobody")
    assert (gap.since, gap.until) == (tpe(2026, 1, 4, 20), tpe(2026, 1, 10, 8))


def test_twelve_hour_turns_count_real_hours_across_the_march_change():
    """Follow-the-sun halves in Berlin: turns of 12 real hours from 2026-03-27 08:00 CET, so after
    the change to CEST on 03-29 the hand-off is at 09:00 and 21:00 on the wall clock."""
    rota = layered(Layer("halves", ("chen", "wang"), date(2026, 3, 27), time(8), 12), tz="Europe/Berlin")
    assert person_on_call(rota, ber(2026, 3, 28, 19, 59)) == "chen"  # turn 2: 03-28 08:00-20:00
    assert person_on_call(rota, ber(2026, 3, 28, 20, 0)) == "wang"  # turn 3: 20:00 CET = 19:00 UTC
    got = on_call_now(rota, ber(2026, 3, 29, 12))  # turn 4: 07:00 UTC = 09:00 CEST
    assert (got.person, got.since, got.until) == ("chen", ber(2026, 3, 29, 9), ber(2026, 3, 29, 21))


def test_daily_turns_keep_the_wall_clock_across_the_march_change():
    rota = layered(Layer("days", ("chen", "wang"), date(2026, 3, 27), time(9), 24), tz="Europe/Berlin")
    got = on_call_now(rota, ber(2026, 3, 29, 12))
    assert (got.person, got.since, got.until) == ("chen", ber(2026, 3, 29, 9), ber(2026, 3, 30, 9))
    assert got.until - got.since == timedelta(hours=24)
    assert on_call_now(rota, ber(2026, 3, 28, 12)).until - on_call_now(rota, ber(2026, 3, 28, 12)).since \
        == timedelta(hours=23)


def test_upcoming_walks_the_layers():
    stretches = upcoming(THREE, tpe(2026, 1, 9, 12), 4)  # Friday noon
    assert [(s.person, s.since) for s in stretches] == [
        ("chen", tpe(2026, 1, 9, 7)), ("huang", tpe(2026, 1, 9, 22)),
        ("chen", tpe(2026, 1, 10, 7)),  # the night ends at 07:00, the weekend day starts at 08:00
        ("lin", tpe(2026, 1, 10, 8))]


# --- a weekly rota answers as before ----------------------------------------------------------

moments = st.datetimes(min_value=datetime(2025, 6, 1), max_value=datetime(2027, 6, 1), timezones=st.just(UTC))


@st.composite
def weekly_rotas(draw: st.DrawFn) -> Rota:
    tz = draw(st.sampled_from(ZONES))
    weekday = draw(st.integers(0, 6))
    clock = draw(st.sampled_from([time(0), time(2, 30), time(3), time(9), time(23, 30)]))  # 02:30: DST gaps
    start = date(2026, 1, 5) + timedelta(days=weekday - 7 * draw(st.integers(-20, 20)))
    members = tuple(draw(st.lists(st.sampled_from(PEOPLE), min_size=1, max_size=4)))
    base = draw(moments)
    overrides = tuple(Override("r", draw(st.sampled_from(PEOPLE)), base + timedelta(hours=a),
                               base + timedelta(hours=a + n))
                      for a, n in draw(st.lists(st.tuples(st.integers(-400, 400), st.integers(1, 300)), max_size=3)))
    return Rota("r", members, weekday, clock, tz, start, draw(st.integers(1, 3)), overrides)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(weekly_rotas(), moments, st.lists(st.tuples(st.integers(-200, 200), st.integers(1, 200)), max_size=2))
def test_a_weekly_rota_answers_as_the_resolver_before_layers(rota: Rota, now: datetime, extra: list[tuple[int, int]]):
    console = [Override("r", "lin", now + timedelta(hours=a), now + timedelta(hours=a + n)) for a, n in extra]
    old, new = weekly_rota.on_call_now(rota, now, console), on_call_now(rota, now, console)
    assert (new.person, new.until, new.reason) == (old.person, old.until, old.reason)
    if new.reason == "rotation":
        # (an override's `since` may now be later: the end of a shorter override nested in it,
        # which the old resolver overlooked; who and until are the same)
        assert new.since == old.since
    old_rot = weekly_rota.rotation_at(rota, now)
    assert person_on_call(replace_overrides(rota), now) == old_rot.person
    people = {p: Person(p, p.title(), "+886900000000", ()) for p in PEOPLE}
    policy = Policy("default", (Step("rota", "r", 25), Step("person", "huang", 20)))
    assert resolve_contacts(policy, {"r": rota}, console, now, people=people) == \
        weekly_rota.resolve_contacts(policy, {"r": rota}, console, now, people=people)


def replace_overrides(rota: Rota) -> Rota:
    return Rota(rota.key, rota.members, rota.handoff_weekday, rota.handoff_time, rota.timezone, rota.start,
                rota.shift_weeks)


# --- the timeline is the resolver, moment by moment -------------------------------------------

@st.composite
def layered_rotas(draw: st.DrawFn) -> Rota:
    tz = draw(st.sampled_from(ZONES))
    layers = []
    for i in range(draw(st.integers(1, 3))):
        length = draw(st.sampled_from([1, 5, 8, 12, 24, 48, 168, 336]))
        windows = tuple(Window(frozenset(draw(st.sets(st.integers(0, 6), min_size=1))),
                               time(draw(st.integers(0, 23)), draw(st.sampled_from([0, 30]))),
                               time(draw(st.integers(0, 23)), draw(st.sampled_from([0, 30]))))
                        for _ in range(draw(st.integers(0 if i else 0, 2))))
        layers.append(Layer(f"l{i}", tuple(draw(st.lists(st.sampled_from(PEOPLE), min_size=1, max_size=3))),
                            date(2026, 1, 1) + timedelta(days=draw(st.integers(-60, 60))),
                            time(draw(st.integers(0, 23)), draw(st.sampled_from([0, 30]))), length, windows))
    return layered(*layers, tz=tz)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layered_rotas(), moments, st.lists(st.tuples(st.integers(0, 300), st.integers(1, 100)), max_size=2),
       st.lists(st.integers(0, 14 * 24 * 60 - 1), min_size=1, max_size=20))
def test_the_timeline_is_what_the_resolver_answers(rota: Rota, start: datetime, extra: list[tuple[int, int]],
                                                    probes: list[int]):
    console = [Override("it", "wang", start + timedelta(hours=a), start + timedelta(hours=a + n)) for a, n in extra]
    end = start + timedelta(days=14)
    stretches = timeline(rota, start, end, console)
    assert stretches[0].since == start and stretches[-1].until == end
    for a, b in zip(stretches, stretches[1:], strict=False):
        assert a.until == b.since  # contiguous: no hole, no overlap (double booking)
        assert a.since < a.until
    for minutes in probes:
        moment = start + timedelta(minutes=minutes)
        here = next(s for s in stretches if s.since <= moment < s.until)
        assert here.person == person_on_call(rota, moment, console)
        now = on_call_now(rota, moment, console)
        assert now.person == here.person and now.since <= moment < now.until
        if here.person == "":  # a gap only where no layer is active and no override covers
            assert all(lay.windows for lay in rota.layers)
    if any(not lay.windows for lay in rota.layers):
        assert all(s.person for s in stretches)  # an unrestricted layer: never nobody


# --- config ----------------------------------------------------------------------------------

LAYERED = """
[rotas.it]
timezone = "Europe/Berlin"

[[rotas.it.layers]]
name = "weekly"
members = ["chen", "wang"]
start = "2026-01-05"
handoff = "09:00"
length = "1w"

[[rotas.it.layers]]
name = "nights"
members = ["lin"]
start = "2026-01-05"
handoff = "22:00"
length = "1d"
restrictions = [ { days = ["mon", "tuesday"], hours = "22:00-07:00" } ]

[oncall.hours]
night = "21:00-06:00"
holidays = ["2026-01-01", 2026-02-17]

[policies.default]
steps = [ { rota = "it" } ]
"""


def test_layered_config_parses(config_file):
    s = load_config(config_file(LAYERED), env={}).section(OncallSettings)
    it = s.rotas["it"]
    assert [lay.name for lay in it.layers] == ["weekly", "nights"]
    assert it.layers[0].length_hours == 168 and it.layers[1].length_hours == 24
    assert it.layers[1].windows == (Window(frozenset({0, 1}), time(22), time(7)),)
    assert it.members == ("chen", "wang", "lin")
    assert (s.hours.night_start, s.hours.night_end) == (time(21), time(6))
    assert s.hours.holidays == {date(2026, 1, 1), date(2026, 2, 17)}


@pytest.mark.parametrize("old, new, key, fix", [
    ('length = "1w"', 'length = "1y"', "rotas.it.layers[0].length", '"12h", "1d", "2w"'),
    ('length = "1w"', 'length = "53w"', "rotas.it.layers[0].length", "at most 52 weeks"),
    ('hours = "22:00-07:00"', 'hours = "10pm-7am"', "rotas.it.layers[1].restrictions[0].hours", "HH:MM-HH:MM"),
    ('days = ["mon", "tuesday"]', 'days = ["someday"]', "rotas.it.layers[1].restrictions[0].days", "day names"),
    ('members = ["lin"]', 'members = ["ghost"]', "rotas.it.layers[1].members[0]", "no person `ghost`"),
    ('name = "nights"', 'colour = "blue"', "rotas.it.layers[1].colour", "unknown setting"),
    ('timezone = "Europe/Berlin"', 'members = ["chen"]', "rotas.it.members", "move it into its [[rotas.it.layers]]"),
    ('night = "21:00-06:00"', 'night = "late"', "oncall.hours.night", '"22:00-07:00"'),
    ('holidays = ["2026-01-01", 2026-02-17]', 'holidays = ["new year"]', "oncall.hours.holidays[0]", "YYYY-MM-DD"),
])
def test_layer_mistakes_name_file_key_and_fix(config_file, old: str, new: str, key: str, fix: str):
    assert old in LAYERED
    with pytest.raises(ConfigError) as err:
        load_config(config_file(LAYERED.replace(old, new, 1)), env={})
    found = [str(p) for p in err.value.problems]
    assert any(key in p and fix in p and "config.toml" in p for p in found), found
