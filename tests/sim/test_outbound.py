"""Outbound calls (Calls.create): ringing outcomes, status callbacks, AMD, scripted phones."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.provider.rest import make_client
from sim import Hangup, Press, Sim, Speak
from tests.support.webapp import HOTLINE, WebApp, twiml

VOLUNTEER = "+886912000001"
ALL_EVENTS = ["initiated", "ringing", "answered", "completed"]


def _call(sim: Sim, web: WebApp, **kwargs: object) -> str:
    client = make_client(sim.account_sid, sim.auth_token, sim.api_base_url)
    kwargs.setdefault("url", web.url("out"))
    return client.calls.create(to=VOLUNTEER, from_=HOTLINE, **kwargs).sid  # type: ignore[arg-type]


def test_status_callbacks_for_requested_events(sim: Sim, web: WebApp) -> None:
    web.route("out", twiml('<Say>You have a caller</Say><Pause length="20"/>'))
    sim.phone(VOLUNTEER).answer_after(3)
    sid = _call(sim, web, status_callback=web.url("status"), status_callback_event=ALL_EVENTS)
    h = sim.handle(sid)
    h.expect_status("ringing")
    sim.advance(3)
    h.expect_say("you have a caller")
    sim.advance(20)
    assert h.expect_hangup() == "completed"
    sim.settle()
    hits = web.requests_to("status")
    assert [p.params["CallStatus"] for p in hits] == ["initiated", "ringing", "in-progress", "completed"]
    assert [p.params["SequenceNumber"] for p in hits] == ["0", "1", "2", "3"]
    assert all(p.signature_ok and p.params["CallbackSource"] == "call-progress-events" for p in hits)
    assert hits[-1].params["CallDuration"] == "20" and hits[-1].params["Direction"] == "outbound-api"
    assert hits[-1].params["Timestamp"].endswith("+0000")
    assert web.requests_to("out")[0].params["CallStatus"] == "in-progress"


def test_default_status_callback_is_completed_only(sim: Sim, web: WebApp) -> None:
    web.route("out", twiml("<Hangup/>"))
    sim.phone(VOLUNTEER).answer_after(0)
    sim.handle(_call(sim, web, status_callback=web.url("status"))).expect_hangup()
    sim.settle()
    assert [h.params["CallStatus"] for h in web.requests_to("status")] == ["completed"]


@pytest.mark.parametrize(
    ("setup", "expected"),
    [("busy", "busy"), ("fail", "failed"), ("never_answer", "no-answer"), ("manual", "no-answer")],
)
def test_ring_outcomes(sim: Sim, web: WebApp, setup: str, expected: str) -> None:
    getattr(sim.phone(VOLUNTEER), setup)()
    sid = _call(sim, web, timeout=15, status_callback=web.url("status"))
    h = sim.handle(sid)
    if expected == "no-answer":
        h.expect_status("ringing")
        sim.advance(14)
        assert h.status == "ringing"
        sim.advance(1)
    assert h.expect_hangup() == expected
    sim.settle()
    assert web.requests_to("status")[-1].params["CallStatus"] == expected
    assert web.requests_to("out") == []


def test_person_declines_and_caller_sees_busy(sim: Sim, web: WebApp) -> None:
    sid = _call(sim, web)
    call = sim.phone(VOLUNTEER).expect_call()
    assert call.sid == sid
    call.expect_status("ringing")
    call.decline()
    assert call.expect_hangup() == "busy"


def test_sync_amd_reports_human_and_machine(sim: Sim, web: WebApp) -> None:
    web.route("out", lambda p: twiml(f"<Say>answered by {p.get('AnsweredBy')}</Say>"))
    sim.phone(VOLUNTEER).answer_after(1)
    h = sim.handle(_call(sim, web, machine_detection="Enable"))
    sim.advance(1)
    h.expect_say("answered by human")
    assert h.expect_hangup() == "completed" and h.call.answered_by == "human"

    sim.phone(VOLUNTEER).voicemail(greeting_seconds=4)
    m = sim.handle(_call(sim, web, machine_detection="Enable"))
    m.expect_say("answered by machine_start")


def test_detect_message_end_waits_for_greeting_and_machine_keeps_message(sim: Sim, web: WebApp) -> None:
    web.route("out", twiml("<Say>This is the crisis line, please call us back</Say>"))
    phone = sim.phone(VOLUNTEER).voicemail(greeting_seconds=6)
    h = sim.handle(_call(sim, web, machine_detection="DetectMessageEnd"))
    h.expect("answered")
    sim.advance(5)
    assert web.requests_to("out") == []
    sim.advance(1)
    h.expect_say("crisis line")
    assert web.requests_to("out")[0].params["AnsweredBy"] == "machine_end_beep"
    h.expect_hangup()
    assert phone.voicemails[0]["heard"] == ["This is the crisis line, please call us back"]


def test_voicemail_misses_what_is_said_during_the_greeting(sim: Sim, web: WebApp) -> None:
    web.route("out", twiml("<Say>early words</Say>"))
    phone = sim.phone(VOLUNTEER).voicemail(greeting_seconds=3)
    sim.handle(_call(sim, web)).expect_hangup()
    assert phone.voicemails[0]["heard"] == []


def test_async_amd_posts_callback_after_answer(sim: Sim, web: WebApp) -> None:
    web.route(
        "out", lambda p: twiml(f"<Say>hello {p.get('AnsweredBy', 'nobody-yet')}</Say><Pause length='30'/>")
    )
    sim.phone(VOLUNTEER).voicemail(greeting_seconds=5)
    sid = _call(
        sim,
        web,
        machine_detection="DetectMessageEnd",
        async_amd="true",
        async_amd_status_callback=web.url("amd"),
    )
    h = sim.handle(sid)
    h.expect_say("hello nobody-yet")
    assert web.requests_to("amd") == []
    sim.advance(5)
    sim.settle()
    [amd] = web.requests_to("amd")
    assert amd.signature_ok and amd.params["CallSid"] == sid
    assert amd.params["AnsweredBy"] == "machine_end_beep" and amd.params["MachineDetectionDuration"] == "5000"


def test_scripted_volunteer_accepts_and_leaves_a_note(sim: Sim, web: WebApp, speech_wav: Path) -> None:
    web.route("out", twiml('<Gather numDigits="1" action="/accept"><Say>Press 1 to accept</Say></Gather>'))
    web.route("accept", lambda p: twiml(f"<Say>accepted {p['Digits']}</Say><Record action='/note'/>"))
    web.route("note", twiml("<Say>thanks</Say>"))
    sim.phone(VOLUNTEER).script([Press("1"), Speak(str(speech_wav), then="#")], answer_after=2)
    h = sim.handle(_call(sim, web))
    sim.advance(2)
    h.expect_say("accepted 1")
    h.expect_say("thanks")
    assert web.requests_to("note")[0].params["RecordingDuration"] == "2"


def test_scripted_human_hangs_up_at_a_step(sim: Sim, web: WebApp) -> None:
    web.route("out", twiml('<Gather numDigits="1" action="/a"><Say>menu</Say></Gather>'))
    web.route("a", twiml('<Gather numDigits="1" action="/b"><Say>second menu</Say></Gather>'))
    sim.phone(VOLUNTEER).script(["1", Hangup()])
    h = sim.handle(_call(sim, web))
    h.expect_say("second menu")
    assert h.expect_hangup() == "completed"
    assert web.requests_to("b") == []


def test_send_digits_and_whole_call_recording(sim: Sim, web: WebApp, speech_wav: Path) -> None:
    web.route("out", twiml('<Pause length="10"/>'))
    sim.phone(VOLUNTEER).answer_after(0)
    sid = _call(sim, web, send_digits="1234#", record=True, recording_status_callback=web.url("rsc"))
    h = sim.handle(sid)
    assert h.expect("send_digits")["digits"] == "1234#"
    h.speak(speech_wav)
    sim.advance(10)
    h.expect_hangup()
    sim.settle()
    [rsc] = web.requests_to("rsc")
    assert rsc.params["RecordingSource"] == "OutboundAPI" and rsc.params["RecordingDuration"] == "10"


def test_twiml_parameter_instead_of_url(sim: Sim, web: WebApp) -> None:
    sim.phone(VOLUNTEER).answer_after(0)
    h = sim.handle(_call(sim, web, url=None, twiml="<Response><Say>inline twiml</Say></Response>"))
    h.expect_say("inline twiml")
    assert h.expect_hangup() == "completed"
