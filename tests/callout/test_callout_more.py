"""Callouts end to end through the sim, part 2: storms, live connect, SMS, Twilio errors, the watchdog.

Real HTTP server, real Redis, a real RQ worker process, SQLite; the sim's virtual clock runs
ring and menu timeouts (`sim.advance`), `fire_scheduled` stands in for RQ's scheduler.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hotline.base.models import IncidentStatus
from hotline.paging.callout.states import AttemptState as A
from hotline.paging.models import Callout
from tests.callout import e2e
from tests.callout.e2e import (
    CALLER,
    CHEN,
    LIN,
    RING,
    WANG,
    quiet_phones,  # noqa: F401  (autouse)
)


@pytest.fixture(scope="module")
def h(redis_url, tmp_path_factory):
    hotline = e2e.make_hotline(tmp_path_factory.mktemp("callout-sqlite-2"), redis_url, "sqlite")
    yield hotline
    hotline.close()


def test_storm_of_twenty_reports_gives_one_callout(h, speech_wav):
    before = e2e.snapshot(h)
    first = e2e.report(h, "42", wav=speech_wav)
    chen = e2e.next_call(h, CHEN)
    others = [e2e.report(h, "42", caller=f"+88691234{i:04d}", wav=speech_wav if i < 2 else None) for i in range(19)]
    other_type = e2e.report(h, "62")  # reputation: its own callout, to wang
    e2e.next_call(h, WANG)
    ids = [first.id] + [i.id for i in others]
    callout = h.wait_for(lambda: (c := e2e.callout_of(h, first.id)) and len(c.incidents) == 20 and c,
                         what="twenty reports on one callout")
    assert callout.storm
    with h.session() as s:
        assert s.scalar(select(Callout.id).where(Callout.type_key == "supply_chain").where(
            Callout.id != callout.id).where(Callout.created_at >= callout.created_at)) is None
    assert e2e.callout_of(h, other_type.id).id != callout.id
    for spoke in (first, others[0], others[1]):
        h.wait_for(lambda i=spoke.id: any(r.status == "stored" for r in h.recordings(i)), what="stored recording")
    chen.answer()
    chen.expect_say("20 reports")
    for n in (1, 2, 3):  # each 2 steps to the next caller's recording
        chen.press("2")
        chen.expect_say(f"Recording {n} of 3")
        chen.expect_play("/media/recording/")
    chen.press("1")
    chen.expect_say("You have accepted all 20 reports")
    h.wait_for(lambda: all(e2e.incident(h, i).status == IncidentStatus.ACCEPTED for i in ids), what="all accepted")
    assert [c.to for c in e2e.calls_since(h, before) if c.to != WANG] == [CHEN]


def test_live_connect_bridges_to_the_caller(h):
    h.sim.phone(CALLER).answer_after(1)
    e2e.report(h, "12")
    chen = e2e.next_call(h, CHEN)
    e2e.accept_on(chen, "Chen Wei")
    chen.expect_say("Press 1 to be connected")
    chen.press("1")
    dial = chen.expect_dial()
    assert dial["numbers"] == [CALLER]
    h.sim.advance(2)
    leg = h.sim.wait_for(lambda: next((c for c in h.sim.call_objects()
                                       if c.parent_sid == chen.sid and c.status.value == "in-progress"), None),
                         10, "the caller's leg to answer")
    assert leg.to == CALLER
    chen.hangup()
    chen.expect_hangup()


def test_live_connect_says_when_the_caller_cannot_be_reached(h):
    h.sim.phone(CALLER).never_answer()
    e2e.report(h, "12")
    chen = e2e.next_call(h, CHEN)
    e2e.accept_on(chen, "Chen Wei")
    chen.press("1")
    chen.expect_dial()
    h.sim.advance(31)
    chen.expect_say("We could not reach the caller")
    chen.expect_hangup()


def test_sms_to_the_acceptor_and_the_caller(h):
    inc = e2e.report(h, "12")
    chen = e2e.next_call(h, CHEN)
    e2e.accept_on(chen, "Chen Wei")
    summary = h.sim.phone(CHEN).expect_sms(f"report {inc.ref}", timeout=20)
    assert CALLER in summary["body"] and summary["from"] == h.config.numbers[0]
    notice = h.sim.phone(CALLER).expect_sms(f"您的通報 {inc.ref} 已於", timeout=20)  # in the caller's language
    assert notice["from"] == h.config.numbers[0]
    sent = h.wait_for(lambda: len(found := h.audit(inc.id, "callout.sms_sent")) == 2 and found, what="SMS audit")
    assert sorted(e.detail["role"] for e in sent) == ["acceptor", "caller"]


def test_no_sms_to_a_landline_caller(h):
    landline = "+886223456789"  # Taipei fixed line
    inc = e2e.report(h, "12", caller=landline)
    chen = e2e.next_call(h, CHEN)
    e2e.accept_on(chen, "Chen Wei")
    h.sim.phone(CHEN).expect_sms(f"report {inc.ref}", timeout=20)
    h.wait_for(lambda: h.audit(inc.id, "callout.closed_out"), what="close-out")
    assert h.sim.phone(landline).messages == []


def test_invalid_number_fails_that_attempt_and_moves_on(h):
    h.sim.refused_calls.clear()
    h.sim.fail_next_calls(400, 21211)
    inc = e2e.report(h, "12")
    lin = e2e.next_call(h, LIN)
    e2e.accept_on(lin, "Lin Mei")
    first = e2e.attempts(h, e2e.callout_of(h, inc.id).id)[0]
    assert first.person_key == "chen" and first.outcome == A.FAILED and "21211" in (first.twilio_error or "")
    assert h.sim.refused_calls == [(CHEN, 400)]


def test_rate_limit_and_server_errors_are_retried_without_skipping_the_person(h):
    h.sim.refused_calls.clear()
    h.sim.fail_next_calls(429, 20429)
    h.sim.fail_next_calls(503, 20500)
    inc = e2e.report(h, "12")
    for refused in (1, 2):
        h.wait_for(lambda n=refused: len(h.sim.refused_calls) == n, what=f"refused Calls.create #{refused}")
        e2e.drain(h)
        assert not e2e.has_new_call(h, LIN)  # chen is not skipped
        e2e.fire_scheduled(h)  # the backoff delay has passed: Calls.create again
    chen = e2e.next_call(h, CHEN)
    e2e.accept_on(chen, "Chen Wei")
    assert [s for _, s in h.sim.refused_calls] == [429, 503]
    callout = e2e.callout_of(h, inc.id)
    assert [(a.person_key, a.outcome) for a in e2e.attempts(h, callout.id)] == [("chen", A.ACCEPTED)]
    assert len(h.audit(inc.id, "callout.dial_retry")) == 2


def test_watchdog_moves_on_when_the_callback_never_comes(h, monkeypatch):
    import hotline.responder.conversation as conversation

    monkeypatch.setattr(conversation, "status", lambda *a, **k: None)  # every status callback is lost
    inc = e2e.report(h, "12")
    chen = e2e.next_call(h, CHEN)
    chen.expect_status("ringing")
    h.sim.advance(RING + 1)
    assert chen.expect_hangup() == "no-answer"
    callout = e2e.callout_of(h, inc.id)
    h.wait_for(lambda: e2e.scheduled_wakes(h, callout.id), what="the watchdog scheduled with enqueue_in")
    e2e.drain(h)
    assert not e2e.has_new_call(h, LIN)  # the lost callback left the callout waiting...
    e2e.fire_scheduled(h)  # ...until ring timeout plus margin has passed
    lin = e2e.next_call(h, LIN)
    monkeypatch.undo()
    e2e.accept_on(lin, "Lin Mei")
    assert e2e.attempts(h, callout.id)[0].outcome == A.NO_ANSWER
    assert h.audit(inc.id, "callout.watchdog")


def test_after_a_twilio_outage_the_first_probe_that_goes_through_rings_at_once(h):
    """Issue #23, 3b: Calls.create fails for a while (an outage); the person waits out a back-off.
    Once Twilio answers again, one convergence pass probes with the waiting call and rings at
    once, not when the back-off ends; probes that fail meanwhile use none of the person's tries."""
    from datetime import timedelta

    from hotline.base.models import utcnow

    h.sim.refused_calls.clear()
    h.sim.fail_next_calls(503, 20500, times=1000)  # an outage until it is ended below
    inc = e2e.report(h, "12")
    for refused in range(1, 7):  # six tries: the back-off has grown to 30 s
        h.wait_for(lambda n=refused: len(h.sim.refused_calls) >= n, what=f"refused Calls.create #{refused}")
        e2e.drain(h)
        if refused < 6:
            e2e.fire_scheduled(h)
    callout = e2e.callout_of(h, inc.id)
    [waiting] = e2e.attempts(h, callout.id)
    assert waiting.call_sid is None and waiting.place_tries == 6
    assert waiting.retry_at > utcnow() + timedelta(seconds=10)  # a back-off still to run
    h.converge()  # Twilio still down: the probe fails and costs no try
    assert e2e.attempts(h, callout.id)[0].place_tries == 6 and not e2e.has_new_call(h, CHEN)
    assert h.sim.end_rest_faults() > 0  # Twilio is back
    h.converge()  # one pass: the probe goes through
    chen = e2e.next_call(h, CHEN, timeout=5)
    assert utcnow() < waiting.retry_at  # rung before the back-off would have let it
    e2e.accept_on(chen, "Chen Wei")
    assert [(a.person_key, a.outcome) for a in e2e.attempts(h, callout.id)] == [("chen", A.ACCEPTED)]
