"""Callouts end to end through the sim: a caller reports, the rota's phones ring, someone presses 1.

Real HTTP server, real Redis, a real RQ worker process, SQLite; the sim's virtual clock runs
ring and menu timeouts (`sim.advance`), `fire_scheduled` stands in for RQ's scheduler.
"""

from __future__ import annotations

import pytest
import requests

from hotline.base.models import IncidentStatus
from hotline.paging.callout.states import AttemptState as A
from hotline.paging.callout.states import CalloutState as C
from tests.support import e2e
from tests.support.e2e import (
    CALLER,
    CHEN,
    DIRECTOR,
    LIN,
    RING,
    quiet_phones,  # noqa: F401  (autouse)
)
from tests.support.lanes import starts_processes

pytest_generate_tests = e2e.databases_for_h


@pytest.fixture(scope="module")
@starts_processes
def h(request, redis_url, tmp_path_factory):
    """On SQLite; on PostgreSQL too for the tests marked ALSO_ON_POSTGRESQL (the accept race, a
    full callout, a storm)."""
    hotline = e2e.make_hotline(tmp_path_factory.mktemp(f"callout-sqlite-{request.param}"), redis_url, request.param)
    yield hotline
    hotline.close()


@e2e.ALSO_ON_POSTGRESQL
def test_first_does_not_answer_second_accepts_exactly_two_calls(h):
    before = e2e.snapshot(h)
    inc = e2e.report(h, "12")
    chen = e2e.next_call(h, CHEN)
    chen.expect_status("ringing")
    h.wait_for(lambda: e2e.incident(h, inc.id).status == IncidentStatus.PAGING, what="incident paging")
    h.sim.advance(RING + 1)
    assert chen.expect_hangup() == "no-answer"
    lin = e2e.next_call(h, LIN)
    e2e.accept_on(lin, "Lin Mei")
    lin.expect_say("The caller's callback number is " + " ".join(CALLER.lstrip("+")))
    h.sim.phone(LIN).expect_sms("you accepted", timeout=20)
    lin.hangup()
    lin.expect_hangup()
    h.wait_for(lambda: e2e.incident(h, inc.id).status == IncidentStatus.ACCEPTED, what="incident accepted")
    found = e2e.incident(h, inc.id)
    assert found.accepted_by == "lin" and found.accepted_at is not None
    assert [c.to for c in e2e.calls_since(h, before)] == [CHEN, LIN]
    callout = e2e.callout_of(h, inc.id)
    assert callout.state == C.ACCEPTED and callout.accepted_by_name == "Lin Mei"
    # The SMS's audit row is written once Twilio took the message, which may be after the phone shows it.
    h.wait_for(lambda: "callout.sms_sent" in [e.kind for e in h.audit(inc.id)] or None, what="sms audited")
    kinds = [e.kind for e in h.audit(inc.id)]
    for kind in ("callout.opened", "callout.dialed", "callout.attempt", "callout.accepted", "status_paging",
                 "status_accepted", "callout.sms_sent"):
        assert kind in kinds, kinds


def test_busy_moves_on_at_once(h):
    h.sim.phone(CHEN).busy()
    inc = e2e.report(h, "12")
    lin = e2e.next_call(h, LIN)  # no clock advance: busy is reported at once
    e2e.accept_on(lin, "Lin Mei")
    chen_attempt = e2e.attempts(h, e2e.callout_of(h, inc.id).id)[0]
    assert (chen_attempt.person_key, chen_attempt.outcome) == ("chen", A.BUSY)


def test_voicemail_gets_a_message_and_counts_as_no_answer(h):
    box = h.sim.phone(CHEN).voicemail(greeting_seconds=3)
    inc = e2e.report(h, "12")
    chen = e2e.next_call(h, CHEN)
    h.sim.advance(4)  # the greeting plays; AMD waits for the beep
    chen.expect_say("Please call the hotline")
    chen.expect_hangup()
    assert any("call the hotline" in (heard or "") for v in box.voicemails if v["call_sid"] == chen.sid
               for heard in v["heard"])
    lin = e2e.next_call(h, LIN)
    e2e.accept_on(lin, "Lin Mei")
    first = e2e.attempts(h, e2e.callout_of(h, inc.id).id)[0]
    assert first.outcome == A.MACHINE and first.answered_by == "machine_end_beep"


def test_no_key_repeats_the_menu_twice_then_moves_on(h):
    inc = e2e.report(h, "12")
    chen = e2e.next_call(h, CHEN)
    chen.answer()
    chen.expect_say("Press 1 to accept")
    for _ in range(2):
        h.sim.advance(7)
        chen.expect_say("Press 1 to accept")
    h.sim.advance(7)
    chen.expect_say("we will call the next person")
    chen.expect_hangup()
    lin = e2e.next_call(h, LIN)
    e2e.accept_on(lin, "Lin Mei")
    assert e2e.attempts(h, e2e.callout_of(h, inc.id).id)[0].outcome == A.NO_KEY
    assert sum("Press 1 to accept" in said for said in chen.said()) == 3


def test_two_plays_the_recording_then_one_accepts(h, speech_wav):
    inc = e2e.report(h, "12", wav=speech_wav)
    h.wait_for(lambda: any(r.status == "stored" for r in h.recordings(inc.id)), what="stored recording")
    chen = e2e.next_call(h, CHEN)
    chen.answer()
    chen.expect_say("Press 2 to hear")
    chen.press("2")
    played = chen.expect_play("/media/recording/")
    assert played["duration"] > 1.0  # the sim fetched real audio from our media route
    chen.expect_say("Press 1 to accept")
    chen.press("1")
    chen.expect_say("Thank you, Chen Wei")
    h.wait_for(lambda: e2e.incident(h, inc.id).status == IncidentStatus.ACCEPTED, what="accepted")


def test_three_passes_to_the_next_person_at_once(h):
    inc = e2e.report(h, "12")
    chen = e2e.next_call(h, CHEN)
    chen.answer()
    chen.expect_say("Press 3 to pass")
    chen.press("3")
    chen.expect_say("We will call the next person")
    lin = e2e.next_call(h, LIN)
    e2e.accept_on(lin, "Lin Mei")
    assert e2e.attempts(h, e2e.callout_of(h, inc.id).id)[0].outcome == A.DECLINED


def test_all_rounds_fail_then_fallback_then_unacknowledged_and_it_keeps_going(h):
    before = e2e.snapshot(h)
    inc = e2e.report(h, "12")
    for number in (CHEN, LIN, DIRECTOR):  # round 1 (the only round) ends with the fallback chain
        call = e2e.next_call(h, number)
        call.expect_status("ringing")
        h.sim.advance(RING + 1)
        call.expect_hangup()
    h.wait_for(lambda: e2e.incident(h, inc.id).status == IncidentStatus.UNACKNOWLEDGED, what="unacknowledged")
    callout = e2e.callout_of(h, inc.id)
    assert callout.state == C.UNACKNOWLEDGED
    h.wait_for(lambda: e2e.scheduled_wakes(h, callout.id), what="a repeat scheduled")
    assert [c.to for c in e2e.calls_since(h, before)] == [CHEN, LIN, DIRECTOR]
    # The repeat timer fires (repeat_minutes later): everyone is rung again, in order.
    e2e.fire_scheduled(h)
    chen = e2e.next_call(h, CHEN)
    chen.expect_status("ringing")
    h.sim.advance(RING + 1)
    lin = e2e.next_call(h, LIN)
    e2e.accept_on(lin, "Lin Mei")
    h.wait_for(lambda: e2e.incident(h, inc.id).status == IncidentStatus.ACCEPTED, what="accepted after alarm")
    assert [c.to for c in e2e.calls_since(h, before)] == [CHEN, LIN, DIRECTOR, CHEN, LIN]
    assert [(a.round, a.person_key) for a in e2e.attempts(h, callout.id)] == [
        (1, "chen"), (1, "lin"), (1, "director"), (2, "chen"), (2, "lin")]


def test_stop_paging_from_the_cli_ends_the_calls_then_page_again_resumes(h, capsys):
    from hotline.paging.cli import main

    inc = e2e.report(h, "12")
    chen = e2e.next_call(h, CHEN)
    chen.expect_status("ringing")
    assert main(["list"]) == 0
    assert inc.ref in capsys.readouterr().out
    before = e2e.snapshot(h)
    with pytest.raises(SystemExit):  # a reason is required: nobody stops paging without saying why
        main(["stop", inc.ref])
    assert main(["stop", inc.ref, "--reason", "false alarm, checked on site"]) == 0
    assert chen.expect_hangup() == "canceled"
    callout = e2e.callout_of(h, inc.id)
    assert callout.state == C.CANCELLED
    stopped = e2e.incident(h, inc.id)
    assert stopped.status == IncidentStatus.STOPPED  # says so, rather than "paging" or "unacknowledged"
    assert stopped.paging_stopped_reason == "false alarm, checked on site" and stopped.paging_stopped_by
    assert main(["stop", inc.ref, "--reason", "again"]) == 1  # nothing is being paged any more
    e2e.fire_scheduled(h)  # any pending wake-up finds nothing to do
    e2e.drain(h)
    h.converge()  # nor does the convergence cycle: a stop is a decision, not a lost event
    assert e2e.calls_since(h, before) == []
    assert all(a.person_key == "chen" for a in e2e.attempts(h, callout.id))
    assert main(["page-again", inc.ref]) == 0
    chen = e2e.next_call(h, CHEN)  # a new callout, from the top of the policy
    e2e.accept_on(chen, "Chen Wei")
    h.wait_for(lambda: e2e.incident(h, inc.id).status == IncidentStatus.ACCEPTED, what="accepted")
    assert e2e.callout_of(h, inc.id).id != callout.id


@e2e.ALSO_ON_POSTGRESQL
def test_two_phones_press_1_in_the_same_instant(h, monkeypatch):
    """Chen answers and dithers past the answer timeout, so Lin is rung while Chen is still on the line."""
    import threading

    import hotline.paging.callout.receive as receive_module

    inc = e2e.report(h, "12")
    chen = e2e.next_call(h, CHEN)
    chen.answer()
    chen.expect_say("Press 1 to accept")
    callout_id = e2e.callout_of(h, inc.id).id
    e2e.fire_wake(h, callout_id)  # ring timeout + margin: chen answered, so wait for the answer timeout
    assert not e2e.has_new_call(h, LIN)
    e2e.fire_wake(h, callout_id)  # answer timeout + margin: chen is still on the line, but lin is rung
    lin = e2e.next_call(h, LIN)
    lin.answer()
    lin.expect_say("Press 1 to accept")
    barrier = threading.Barrier(2, timeout=10)
    original = receive_module.accept

    def accept_together(*args, **kwargs):
        barrier.wait()
        return original(*args, **kwargs)

    monkeypatch.setattr(receive_module, "accept", accept_together)
    chen.press("1")
    lin.press("1")
    winners = []
    for call, name in ((chen, "Chen Wei"), (lin, "Lin Mei")):
        event = call.expect("say", lambda e: "Thank you" in e["text"], timeout=20, what="an answer to 1")
        winners.append(name if f"Thank you, {name}" in event["text"] else None)
        if winners[-1] is None:
            assert "already accepted by" in event["text"]
    assert len([w for w in winners if w]) == 1, winners
    callout = e2e.callout_of(h, inc.id)
    assert callout.state == C.ACCEPTED and callout.accepted_by_name in winners
    winner = next(a for a in e2e.attempts(h, callout.id) if a.person_name == callout.accepted_by_name)
    assert callout.accepted_attempt_id == winner.id
    assert len(h.audit(inc.id, "callout.accepted")) == 1
    # Chen's attempt had already been given up (no key within the answer timeout): it never becomes accepted.
    assert [a.outcome for a in e2e.attempts(h, callout.id)].count(A.ACCEPTED) <= 1


def test_late_completed_callback_after_acceptance_changes_nothing(h):
    import requests

    from hotline.paging.callout import links
    from sim.signing import signature

    inc = e2e.report(h, "12")
    chen = e2e.next_call(h, CHEN)
    chen.expect_status("ringing")
    h.sim.advance(RING + 1)
    lin = e2e.next_call(h, LIN)
    e2e.accept_on(lin, "Lin Mei")
    callout = e2e.callout_of(h, inc.id)
    first, second = e2e.attempts(h, callout.id)
    before = e2e.snapshot(h)
    for attempt, status in ((first, "completed"), (second, "completed"), (second, "no-answer")):
        url = links.webhook(h.config, "status", attempt.id)
        form = {"CallSid": attempt.call_sid, "CallStatus": status, "AccountSid": h.sim.account_sid}
        r = requests.post(url, data=form, headers={"X-Twilio-Signature": signature(h.sim.auth_token, url, form)},
                          timeout=10)
        assert r.status_code == 200 and r.text.rstrip().endswith("<Response />")  # nothing to do, as TwiML
    e2e.fire_scheduled(h)
    after = e2e.callout_of(h, inc.id)
    assert after.state == C.ACCEPTED and after.accepted_by == "lin"
    assert [a.outcome for a in e2e.attempts(h, callout.id)] == [A.NO_ANSWER, A.ACCEPTED]
    assert e2e.calls_since(h, before) == []


def test_finding6_a_replayed_key_after_the_responders_call_ended_changes_nothing(h):
    """Issue 24, finding 6: a signed keypress captured from a responder's call and replayed once
    that call has ended is refused and audited; it used to reach the callout."""
    from twilio.request_validator import RequestValidator

    inc = e2e.report(h, "12")
    chen = e2e.next_call(h, CHEN)
    chen.answer()
    chen.expect_say("Press 3 to pass")
    chen.press("3")
    chen.expect_say("We will call the next person")
    chen.expect_hangup()
    callout_id = e2e.callout_of(h, inc.id).id
    h.wait_for(lambda: e2e.attempts(h, callout_id)[0].state == A.COMPLETED, what="chen's call ended")
    menu = [w for w in chen.webhooks() if "/voice/callout/menu" in w["url"]][-1]
    form = {**{k: str(v) for k, v in menu["params"].items()}, "Digits": "1"}
    signature = RequestValidator(h.sim.auth_token).compute_signature(menu["url"], form)
    replay = requests.post(menu["url"], data=form, headers={"X-Twilio-Signature": signature}, timeout=10)
    assert replay.status_code == 200 and "accepted" not in replay.text.lower()
    assert e2e.callout_of(h, inc.id).state != C.ACCEPTED
    refused = [e for e in h.audit(kind="webhook_call_mismatch") if e.detail.get("path") == "/voice/callout/menu"]
    assert refused and refused[-1].detail["reason"] == "the call has ended"
