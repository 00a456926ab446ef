"""A review's figures from hand-built rows: the key times (each the first, closed the last; the
team confirmed when its last role is), people and their deeds, late checklist steps, the
reminders' due-ness, and the Markdown and PDF exports."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hotline.drills.settings import Targets
from hotline.reviews.export import Document, markdown, pdf
from hotline.reviews.reminders import due
from hotline.reviews.report import Call, Event, Step, figures, key_times
from hotline.reviews.targets import against

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
TAIPEI = ZoneInfo("Asia/Taipei")


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


CALLS = [Call("chen", "Chen Wei", at(2), at(5), None, "no_answer"),
         Call("lin", "Lin Mei", at(40), at(41), at(50), "accepted")]
EVENTS = [
    Event(at(0), "incident_reported", "system", {}),
    Event(at(55), "status_accepted", "lin", {}),
    Event(at(90), "crisis.activated", "lin", {"team": {"management": "director", "legal": "counsel"}}),
    Event(at(120), "crisis.member_confirmed", "director", {"role": "management"}),
    Event(at(130), "crisis.member_confirmed", "chen", {"role": "management"}),
    Event(at(200), "crisis.member_confirmed", "counsel", {"role": "legal"}),
    Event(at(300), "crisis.statement_published", "alice", {}),
    Event(at(400), "crisis.statement_published", "alice", {}),
    Event(at(500), "status_closed", "alice", {}),
    Event(at(600), "status_accepted", "lin", {}),  # reopened and accepted again: the first accept stays
    Event(at(700), "status_closed", "alice", {}),  # closed again: the last close counts
]


def test_key_times_are_the_first_moments_and_the_last_close():
    found = key_times(T0, EVENTS, CALLS)
    assert found == {"report": T0, "first_ring": at(5), "accept": at(55), "verified": at(90),
                     "plan_activated": at(90), "team_confirmed": at(200), "first_statement": at(300),
                     "closed": at(700)}


def test_missing_moments_are_none_and_an_accept_falls_back_to_the_accepted_call():
    found = key_times(T0, [Event(at(10), "note", "alice", {})], CALLS)
    assert found["accept"] == at(50)
    assert [k for k, v in found.items() if v is None] == ["verified", "plan_activated", "team_confirmed",
                                                          "first_statement", "closed"]
    assert key_times(T0, [], [])["first_ring"] is None


def test_a_false_alarm_is_verified_but_activates_nothing():
    found = key_times(T0, [Event(at(30), "crisis.false_alarm", "lin", {"note": "test"})], [])
    assert (found["verified"], found["plan_activated"], found["team_confirmed"]) == (at(30), None, None)


def test_people_steps_and_seconds():
    steps = [Step(1, {"en-US": "Call the press"}, "legal", at(100), at(150), "counsel"),
             Step(0, {"en-US": "Isolate"}, "management", at(100), at(90), "director"),
             Step(2, {"en-US": "Never done"}, "legal", at(600), None, None)]
    f = figures(T0, EVENTS, CALLS, steps, {"lin": "Lin Mei", "alice": "Alice"})
    assert [(t.key, t.seconds) for t in f.times][:3] == [("report", 0.0), ("first_ring", 5.0), ("accept", 55.0)]
    assert [(c.step.position, c.late_seconds) for c in f.steps] == [(0, None), (1, 50.0), (2, 100.0)]
    parts = {p.person: p for p in f.people}
    assert (parts["chen"].rang, parts["chen"].answered) == (1, 0)
    assert parts["lin"].deeds == (("accepted", 2), ("activated the plan", 1))
    assert parts["alice"].name == "Alice" and dict(parts["alice"].deeds) == {"approved a statement": 2, "closed": 2}
    assert "system" not in parts
    assert f.timeline_rows == len(EVENTS)


def test_reminders_are_due_on_the_local_day_once_a_day():
    # 2026-03-02 17:00 UTC is already 03-03 in Taipei.
    evening = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)
    assert due(date(2026, 3, 3), None, evening, TAIPEI)
    assert not due(date(2026, 3, 3), None, evening, ZoneInfo("UTC"))
    assert not due(date(2026, 3, 3), evening - timedelta(hours=23), evening, TAIPEI)
    assert due(date(2026, 3, 3), evening - timedelta(hours=24), evening, TAIPEI)


def test_markdown_and_pdf():
    f = figures(T0, EVENTS[:3], CALLS, [Step(0, {"en-US": "Isolate"}, "legal", at(10), at(90), "x")], {})
    doc = Document("Review of R1", f, "We were slow to verify.", [], [], {"report": "Report"}, {})
    text = markdown(doc, lambda s: s, lambda t: t.isoformat() if t else "—")
    assert text.startswith("# Review of R1\n")
    assert "| Report | 2026-03-02T01:00:00+00:00 | 0 s |" in text
    assert "| closed | — | — |" in text
    assert "- [x] Isolate (legal) — **late 80 s**" in text
    assert "We were slow to verify." in text
    out = pdf(text + "中文也可以\n")
    assert out.startswith(b"%PDF") and len(out) > 500
    assert pdf("# Review\n\nLatin only — no CJK font needed\n").startswith(b"%PDF")


def test_review_rows_read_as_sentences_on_the_incident_timeline():
    from hotline.console.timeline import Names, sentence

    names = Names({"lin": "Lin Mei"}, lambda key: key, {}, {})
    said = sentence("review.action_added", "alice", {"person": "lin"}, names, lambda s, **v: s % v)
    assert said == ("alice added an action item for Lin Mei", "")
    assert sentence("review.reminder_failed", "system", {"to": "+886", "error": "21211"}, names,
                    lambda s, **v: s % v) == ("Reminder of a due action item to +886 failed: 21211", "bad")


def test_a_drills_key_times_against_its_targets():
    """Each step of a whole-plan drill against its target: the team from the activation, the rest
    from the report; a step that never happened is missed."""
    f = figures(T0, EVENTS, CALLS, [], {})
    measured = against(f.times, Targets(first_ring_seconds=1, accept_seconds=60, activate_seconds=60,
                                        team_confirmed_seconds=120, first_statement_seconds=600))
    assert (measured["first_ring"].seconds, measured["first_ring"].missed) == (5.0, True)
    assert (measured["accept"].seconds, measured["accept"].missed) == (55.0, False)
    assert (measured["plan_activated"].seconds, measured["plan_activated"].missed) == (90.0, True)
    assert (measured["team_confirmed"].seconds, measured["team_confirmed"].missed) == (110.0, False)
    assert "report" not in measured and "closed" not in measured
