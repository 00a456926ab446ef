"""Callouts against real databases (SQLite and PostgreSQL): events in, states and actions out."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from hotline.base.models import AuditEvent
from hotline.paging import commands
from hotline.paging.callout.decide import Dial, Done, MarkUnacknowledged, Reconcile, RepeatAfter, Wait
from hotline.paging.callout.receive import NextStep, accept, find_attempt, receive
from hotline.paging.callout.states import AttemptState as A
from hotline.paging.callout.states import CalloutState as C
from hotline.paging.callout.states import CallStatus, IllegalTransition, KeyPress, set_attempt_state, set_callout_state
from hotline.paging.callout.store import (
    abandon_attempt,
    advance,
    callout_for_incident,
    cancel,
    open_callout,
    record_call_placed,
    record_dial_failed,
)
from hotline.paging.models import Attempt, Callout
from hotline.rotas.policy import OncallSettings, Policy, Step
from tests.support.callout import PEOPLE, T0, add_incidents

SETTINGS = OncallSettings(
    rounds=1, repeat_minutes=5,
    policies={"default": Policy("default", (Step("person", "chen", 25), Step("person", "lin", 25)))},
    fallback=(Step("person", "director", 25),),
)
sec = timedelta(seconds=1)


def start(db, n_incidents: int = 1) -> int:
    with db.session() as s:
        callout = open_callout(s, add_incidents(s, n_incidents), "cyber_security", SETTINGS, T0)
        return callout.id


def step(db, callout_id: int, now=T0, sid: str | None = None):
    """Run the engine once; for a Dial, pretend Twilio accepted the call with `sid`."""
    with db.session() as s:
        action = advance(s, callout_id, SETTINGS, PEOPLE, now)
        if isinstance(action, Dial) and sid:
            record_call_placed(s, action.attempt_id, sid, now)
        return action


def event(db, ref, ev, now=T0):
    """What the responder webhooks do with a Twilio request: through the lifecycle, which sends an
    accept key to its atomic accept and everything else to the callout's `receive`."""
    with db.session() as s:
        attempt = find_attempt(s, ref)
        if attempt is None:
            return receive(s, ref, ev, now)
        return commands.responder_event(s, attempt.id, ev, now)[0]


def load(db, cls, ident):
    with db.session() as s:
        return s.get(cls, ident)


def test_full_escalation_until_accepted(db):
    cid = start(db)
    first = step(db, cid, sid="CA1")
    assert isinstance(first, Dial) and first.contact.person == "chen" and (first.round, first.step) == (1, 0)
    assert load(db, Callout, cid).state == C.DIALING
    r = event(db, "CA1", CallStatus("ringing"), T0 + sec)
    assert (r.applied, r.advance) == (True, False)
    assert isinstance(step(db, cid, T0 + 2 * sec), Wait)
    r = event(db, "CA1", CallStatus("no-answer"), T0 + 25 * sec)
    assert (r.applied, r.advance) == (True, True)
    second = step(db, cid, T0 + 26 * sec, sid="CA2")
    assert isinstance(second, Dial) and second.contact.person == "lin"
    r = event(db, "CA2", CallStatus("in-progress", answered_by="human"), T0 + 30 * sec)
    assert r.followup == NextStep.PROMPT
    r = event(db, "CA2", KeyPress("1"), T0 + 40 * sec)
    assert (r.applied, r.followup, r.message) == (True, NextStep.ACCEPTED, "accepted by Lin Mei")
    callout = load(db, Callout, cid)
    assert (callout.state, callout.accepted_by, callout.accepted_attempt_id) == (C.ACCEPTED, "lin",
                                                                                 second.attempt_id)
    r = event(db, "CA2", CallStatus("completed"), T0 + 50 * sec)
    assert (r.applied, r.advance) == (True, False)
    attempt = load(db, Attempt, second.attempt_id)
    assert (attempt.state, attempt.outcome) == (A.COMPLETED, A.ACCEPTED)
    assert event(db, "CA2", CallStatus("completed"), T0 + 51 * sec).applied is False  # duplicate
    assert step(db, cid, T0 + 60 * sec) == Done(C.ACCEPTED)
    with db.session() as s:
        kinds = s.execute(select(AuditEvent.kind).order_by(AuditEvent.id)).scalars().all()
    assert kinds == ["callout.opened", "callout.attempt", "callout.accepted", "status_accepted"]


@pytest.mark.parametrize(("events", "state", "outcome", "advance", "followup"), [
    ([CallStatus("in-progress", answered_by="machine_start")], A.MACHINE, A.MACHINE, True, NextStep.HANG_UP),
    ([CallStatus("in-progress", answered_by="fax"), CallStatus("completed")], A.COMPLETED, A.MACHINE, False,
     NextStep.NONE),
    ([CallStatus("ringing"), CallStatus("completed")], A.COMPLETED, A.NO_KEY, True, NextStep.NONE),
    ([CallStatus("in-progress", answered_by="unknown"), KeyPress("3")], A.DECLINED, A.DECLINED, True,
     NextStep.DECLINED),
    ([CallStatus("in-progress"), KeyPress("7")], A.ANSWERED, None, False, NextStep.REPROMPT),
    ([CallStatus("busy")], A.BUSY, A.BUSY, True, NextStep.NONE),
    ([CallStatus("failed", error="13224")], A.FAILED, A.FAILED, True, NextStep.NONE),
    ([CallStatus("no-answer"), CallStatus("ringing")], A.NO_ANSWER, A.NO_ANSWER, False, NextStep.NONE),
])
def test_twilio_events_map_to_outcomes(db, events, state, outcome, advance, followup):
    cid = start(db)
    dial = step(db, cid, sid="CA1")
    results = [event(db, "CA1", e, T0 + i * sec) for i, e in enumerate(events, 1)]
    attempt = load(db, Attempt, dial.attempt_id)
    assert (attempt.state, attempt.outcome) == (state, outcome)
    assert (results[-1].advance, results[-1].followup) == (advance, followup)


def test_late_and_out_of_order_callbacks_change_nothing(db):
    cid = start(db)
    dial = step(db, cid, sid="CA1")
    event(db, "CA1", CallStatus("in-progress"))
    event(db, "CA1", KeyPress("1"))
    for late in ("ringing", "in-progress", "no-answer", "completed", "completed"):
        event(db, "CA1", CallStatus(late))
    attempt = load(db, Attempt, dial.attempt_id)
    assert (attempt.state, attempt.outcome) == (A.COMPLETED, A.ACCEPTED)
    assert load(db, Callout, cid).state == C.ACCEPTED


def test_illegal_transitions_raise(db):
    cid = start(db)
    dial = step(db, cid, sid="CA1")
    event(db, "CA1", CallStatus("in-progress"))
    with pytest.raises(IllegalTransition), db.session() as s:
        set_attempt_state(s, dial.attempt_id, A.NO_ANSWER, T0)  # answered calls cannot go unanswered
    with db.session() as s:
        assert set_callout_state(s, cid, C.UNACKNOWLEDGED, T0)
    with pytest.raises(IllegalTransition), db.session() as s:
        set_callout_state(s, cid, C.DIALING, T0)
    with pytest.raises(IllegalTransition), db.session() as s:
        receive(s, "CA1", CallStatus("exploded"), T0)


def test_unknown_call_sid_is_ignored(db):
    r = event(db, "CA-not-ours", CallStatus("completed"))
    assert (r.applied, r.advance, r.attempt_id) == (False, False, None)


def test_exhaustion_marks_unacknowledged_then_repeats(db):
    cid = start(db)
    now = T0
    for person, sid in (("chen", "CA1"), ("lin", "CA2"), ("director", "CA3")):
        dial = step(db, cid, now, sid=sid)
        assert dial.contact.person == person
        now += 20 * sec
        event(db, sid, CallStatus("no-answer"), now)
    mark = step(db, cid, now)
    assert mark == MarkUnacknowledged(now + timedelta(minutes=5))
    callout = load(db, Callout, cid)
    assert (callout.state, callout.unacknowledged_at, callout.next_wake_at) == (
        C.UNACKNOWLEDGED, now, now + timedelta(minutes=5))
    assert step(db, cid, now + 60 * sec) == RepeatAfter(now + timedelta(minutes=5))
    again = step(db, cid, now + timedelta(minutes=5))
    assert isinstance(again, Dial) and (again.contact.person, again.round) == ("chen", 2)
    assert load(db, Callout, cid).state == C.UNACKNOWLEDGED  # still unacknowledged while repeating


def test_dashboard_accept_then_late_key_press_is_told_who(db):
    cid = start(db)
    step(db, cid, sid="CA1")
    event(db, "CA1", CallStatus("in-progress"))
    with db.session() as s:
        assert accept(s, cid, T0, person="director", name="Director Lee").ok
    r = event(db, "CA1", KeyPress("1"), T0 + sec)
    assert (r.followup, r.message) == (NextStep.TOO_LATE, "already accepted by Director Lee")
    attempt = load(db, Attempt, r.attempt_id)
    assert attempt.outcome == A.TOO_LATE
    assert load(db, Callout, cid).accepted_by == "director"


def test_cancel_stops_the_callout(db):
    cid = start(db)
    step(db, cid, sid="CA1")
    with db.session() as s:
        assert cancel(s, cid, "incident closed", T0) is True
        assert cancel(s, cid, "again", T0) is False
    r = event(db, "CA1", CallStatus("in-progress"))
    assert r.followup == NextStep.TOO_LATE and r.message == "callout cancelled: incident closed"
    with db.session() as s:
        result = accept(s, cid, T0, attempt_id=r.attempt_id)
    assert (result.ok, result.message) == (False, "callout cancelled: incident closed")
    assert step(db, cid) == Done(C.CANCELLED)


def test_one_callout_per_incident_and_storms_group_incidents(db):
    with db.session() as s:
        ids = add_incidents(s, 3)
        storm = open_callout(s, ids, "cyber_security", SETTINGS, T0, storm=True)
        again = open_callout(s, ids[1:2], "cyber_security", SETTINGS, T0)
        assert again.id == storm.id
        assert [i.id for i in storm.incidents] == ids
        assert callout_for_incident(s, ids[2]).id == storm.id


def test_a_slot_is_dialled_once_even_if_two_jobs_race(db):
    cid = start(db)
    first = step(db, cid, sid="CA1")
    with db.session() as s:  # a duplicated job inserts the same (round, step, person)
        s.add(Attempt(callout_id=cid, person_key="chen", person_name="Chen Wei", phone="+886912000001",
                      round=1, step=0, state=A.QUEUED, created_at=T0))
        with pytest.raises(IntegrityError):
            s.flush()
        s.rollback()
    assert isinstance(step(db, cid, T0 + sec), Wait)  # the live attempt is still the only one
    with db.session() as s:
        assert len(s.execute(select(Attempt).where(Attempt.callout_id == cid)).all()) == 1
    assert first.attempt_id is not None


def test_schema_refuses_a_second_accepted_attempt(db):
    cid = start(db)
    with db.session() as s:
        for person, st in (("chen", 0), ("lin", 1)):
            s.add(Attempt(callout_id=cid, person_key=person, person_name=person, phone="+1", round=1, step=st,
                          state=A.ACCEPTED, outcome=A.ACCEPTED, created_at=T0))
        with pytest.raises(IntegrityError):
            s.flush()
        s.rollback()


def test_dial_failures_and_silent_calls_move_on(db):
    cid = start(db)
    dial = step(db, cid)
    with db.session() as s:
        assert record_dial_failed(s, dial.attempt_id, "HTTP 400: invalid To", T0)
    nxt = step(db, cid, T0 + sec, sid="CA2")
    assert nxt.contact.person == "lin"
    deadline = (T0 + 56 * sec).isoformat()  # placed at +1 s, 25 s to ring, 30 s grace
    assert step(db, cid, T0 + 120 * sec) == Reconcile(nxt.attempt_id, f"no outcome by {deadline}")
    with db.session() as s:
        assert abandon_attempt(s, nxt.attempt_id, "no callback", T0 + 120 * sec)
        assert not abandon_attempt(s, nxt.attempt_id, "no callback", T0 + 121 * sec)
    assert step(db, cid, T0 + 122 * sec).contact.person == "director"


@pytest.mark.parametrize("trial", range(5))
def test_two_people_press_1_at_the_same_instant_exactly_one_wins(db, trial):
    cid = start(db)
    with db.session() as s:
        ids = []
        for person, st in (("chen", 0), ("lin", 1)):
            a = Attempt(callout_id=cid, person_key=person, person_name=PEOPLE[person].name, phone="+1",
                        round=1, step=st, state=A.ANSWERED, created_at=T0)
            s.add(a)
            s.flush()
            ids.append(a.id)
    barrier = threading.Barrier(2)
    results: dict[int, object] = {}
    errors: list[BaseException] = []

    def press(attempt_id: int) -> None:
        try:
            with db.session() as s:
                barrier.wait()
                results[attempt_id] = commands.responder_event(s, attempt_id, KeyPress("1"), T0 + sec)[0]
        except Exception as exc:  # noqa: BLE001 (a thread's failure is reported by the assertion below)
            errors.append(exc)

    threads = [threading.Thread(target=press, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    followups = sorted(r.followup for r in results.values())
    assert followups == [NextStep.ACCEPTED, NextStep.TOO_LATE]
    callout = load(db, Callout, cid)
    winner = next(i for i, r in results.items() if r.followup == NextStep.ACCEPTED)
    loser = next(r for r in results.values() if r.followup == NextStep.TOO_LATE)
    assert callout.accepted_attempt_id == winner
    assert loser.message == f"already accepted by {callout.accepted_by_name}"
    with db.session() as s:
        outcomes = sorted(s.execute(select(Attempt.outcome).where(Attempt.callout_id == cid)).scalars())
    assert outcomes == [A.ACCEPTED, A.TOO_LATE]
