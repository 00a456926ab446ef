"""A drill's figures from plain rows: times from the report, each person's part, failures, misses."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from hotline.drills.report import AttemptRow, figures, to_csv
from hotline.drills.settings import Targets

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


ROWS = [
    AttemptRow("chen", "Chen Wei", 1, 0, at(5), at(6), None, "no_answer"),
    AttemptRow("lin", "Lin Mei", 1, 1, at(40), at(41), at(50), "machine"),
    AttemptRow("wang", "Wang Hao", 1, 2, at(80), None, None, "failed", "21211: invalid number"),
    AttemptRow("chen", "Chen Wei", 2, 0, at(120), at(121), at(400), "accepted"),
]


def test_figures_people_failures_and_misses():
    r = figures(7, T0, ROWS, at(410), "Chen Wei", False, Targets(60, 120, 300))
    assert (r.first_ring_seconds, r.first_answer_seconds, r.accept_seconds) == (6, 50, 410)
    assert [(p.person, p.rang, p.answered, p.accepted, p.first_answer_seconds) for p in r.people] == [
        ("chen", 2, 1, True, 400), ("lin", 1, 1, False, 50), ("wang", 0, 0, False, None)]
    assert r.failures == ("Chen Wei (round 1, step 1): no answer", "Lin Mei (round 1, step 2): voicemail",
                          "Wang Hao (round 1, step 3): wrong number or the call failed [21211: invalid number]")
    assert r.misses == ("accept: 410 s (target 300 s)",)
    assert r.answer_rate == {"chen": 0.5, "lin": 1.0}


def test_nobody_answering_misses_every_target_and_says_so():
    r = figures(8, T0, ROWS[:1], None, None, True, Targets())
    assert r.misses == ("first answer: never (target 120 s)", "accept: never (target 300 s)")
    assert r.failures[-1] == "nobody accepted in any round"


def test_csv_has_every_section():
    r = figures(7, T0, ROWS, at(410), "Chen Wei", False, Targets(), [(at(0), "running", "alice")])
    rows = list(csv.reader(io.StringIO(to_csv(r))))
    assert rows[0] == ["section", "name", "value", "detail"]
    assert ["figure", "report to accept (s)", "410.0", ""] in rows
    assert {row[0] for row in rows[1:]} == {"figure", "person", "failed", "missed target", "timeline"}
