"""The trends from hand-built rows: median and nearest-rank p90 by type, person and hour of day
(the hotline's time zone), unanswered calls per person, reports per week (empty weeks too) and by
type, the false-alarm rate, and drills kept apart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hotline.trends.rows import CallRow, IncidentRow
from hotline.trends.stats import nearest_rank, split, summary, trends, unanswered, weeks_between

TAIPEI = ZoneInfo("Asia/Taipei")
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in Taipei, ISO week 10


def inc(n: int, type_key: str, ring: float | None, answer: float | None, accept: float | None,
        by: str | None = None, drill: bool = False, verdict: str | None = None, days: float = 0) -> IncidentRow:
    t = T0 + timedelta(days=days)
    return IncidentRow(n, type_key, t, drill, t + timedelta(seconds=ring) if ring is not None else None,
                       t + timedelta(seconds=answer) if answer is not None else None,
                       t + timedelta(seconds=accept) if accept is not None else None, by, verdict)


def test_nearest_rank_and_summary():
    assert nearest_rank([], 90) is None
    assert nearest_rank([5.0], 90) == 5.0
    values = [float(v) for v in range(1, 11)]  # 1..10: the 9th value is the 90th percentile
    assert nearest_rank(values, 90) == 9.0 and nearest_rank(values, 50) == 5.0
    assert summary(values) == summary(list(reversed(values)))
    assert (summary(values).n, summary(values).median, summary(values).p90) == (10, 5.5, 9.0)


def test_times_by_type_person_and_hour():
    rows = [inc(1, "fire", 5, 20, 60, "lin"), inc(2, "fire", 7, 30, 100, "chen", days=0.5),
            inc(3, "cyber", 4, None, None), inc(4, "fire", 6, 25, 80, "lin", days=8)]
    t = trends(rows, [], T0, T0 + timedelta(days=14), TAIPEI)
    assert t.by_type["fire"]["accept"] == summary([60.0, 100.0, 80.0])
    assert t.by_type["fire"]["accept"].median == 80.0 and t.by_type["fire"]["accept"].p90 == 100.0
    assert t.by_type["cyber"]["accept"].n == 0 and t.by_type["cyber"]["first_ring"].median == 4.0
    assert {k: v["accept"] for k, v in t.by_person.items()} == {"chen": summary([100.0]), "lin": summary([60.0, 80.0])}
    assert t.by_person["lin"]["first_answer"] == summary([20.0, 25.0])
    assert t.by_hour[9]["accept"] == summary([60.0, 80.0])  # 01:00 UTC is 09:00 in Taipei
    assert t.by_hour[21]["accept"] == summary([100.0])  # half a day later
    assert t.by_hour[3]["accept"].n == 0
    assert t.per_type == {"cyber": 1, "fire": 3}
    assert (t.per_hour[9], t.per_hour[21], sum(t.per_hour.values())) == (3, 1, 4)
    assert t.per_week == (("2026-W10", 3), ("2026-W11", 1))
    assert t.overall["first_answer"].n == 3


def test_empty_weeks_are_counted_as_zero():
    assert weeks_between(T0, T0 + timedelta(days=21), TAIPEI) == ["2026-W10", "2026-W11", "2026-W12"]
    t = trends([inc(1, "fire", 1, 2, 3, days=15)], [], T0, T0 + timedelta(days=21), TAIPEI)
    assert t.per_week == (("2026-W10", 0), ("2026-W11", 0), ("2026-W12", 1))


def test_unanswered_per_person():
    calls = [CallRow("chen", "Chen Wei", False, "no_answer", False), CallRow("chen", "Chen Wei", False, "busy", False),
             CallRow("chen", "Chen Wei", False, "accepted", True), CallRow("lin", "Lin Mei", False, "machine", False),
             CallRow("lin", "Lin Mei", False, "canceled", False),  # someone else accepted while it rang
             CallRow("wang", "Wang Hao", False, "declined", True), CallRow("wang", "Wang Hao", False, None, False)]
    got = {u.person: (u.unanswered, u.placed) for u in unanswered(calls)}
    assert got == {"chen": (2, 3), "lin": (1, 1), "wang": (0, 1)}
    assert [u.person for u in unanswered(calls)] == ["lin", "chen", "wang"]  # worst first


def test_false_alarms_and_drills_apart():
    rows = [inc(1, "fire", 1, 2, 3, verdict="false_alarm"), inc(2, "fire", 1, 2, 3, verdict="active"),
            inc(3, "fire", 1, 2, 3), inc(4, "fire", 1, 2, 3, verdict="false_alarm", drill=True),
            inc(5, "fire", 100, 200, 300, "lin", drill=True)]
    calls = [CallRow("lin", "Lin Mei", True, "no_answer", False)]
    real, drills = split(rows, calls, T0, T0 + timedelta(days=7), TAIPEI)
    assert (real.reports, real.verdicts, real.false_alarms, real.false_alarm_rate) == (3, 2, 1, 0.5)
    assert real.overall["accept"].median == 3.0 and real.unanswered == ()
    assert (drills.reports, drills.false_alarms, drills.overall["accept"].p90) == (2, 1, 300.0)
    assert drills.unanswered[0].person == "lin"
    assert trends([], [], T0, T0 + timedelta(days=1), TAIPEI).false_alarm_rate is None
