"""Inbound calls through Say/Play/Pause/Gather/Redirect/Hangup/Reject, with signed webhooks."""

from __future__ import annotations

from sim import Sim
from tests.support.webapp import CALLER, HOTLINE, WebApp, sine_wav, twiml


def test_webhooks_carry_twilio_parameters_and_valid_signatures(sim: Sim, web: WebApp) -> None:
    web.route("voice", twiml('<Gather numDigits="1" action="/menu"><Say>Press 1</Say></Gather>'))
    web.route("menu", twiml("<Hangup/>"))
    sim.add_number(HOTLINE, voice_url=web.url("voice"))
    c = sim.dial(CALLER, HOTLINE)
    c.press("1")
    assert c.expect_hangup() == "completed"
    first, action = web.requests_to("voice")[0], web.requests_to("menu")[0]
    for hit in (first, action):
        assert hit.signature_ok
        assert hit.params["CallSid"] == c.sid and hit.params["AccountSid"] == sim.account_sid
        assert hit.params["From"] == hit.params["Caller"] == CALLER
        assert hit.params["To"] == hit.params["Called"] == HOTLINE
        assert hit.params["Direction"] == "inbound" and hit.params["ApiVersion"] == "2010-04-01"
    assert first.params["CallStatus"] == "ringing"
    assert action.params["CallStatus"] == "in-progress" and action.params["Digits"] == "1"


def test_get_method_webhooks_are_signed_over_the_query_string(sim: Sim, web: WebApp) -> None:
    web.route(
        "voice", twiml('<Gather numDigits="2" action="/menu?lang=zh" method="GET"><Say>code</Say></Gather>')
    )
    web.route("menu", twiml("<Hangup/>"))
    sim.add_number(HOTLINE, voice_url=web.url("voice"), voice_method="GET")
    c = sim.dial(CALLER, HOTLINE)
    c.press("42")
    c.expect_hangup()
    hit = web.requests_to("menu")[0]
    assert hit.method == "GET" and hit.signature_ok
    assert hit.params["Digits"] == "42" and hit.params["lang"] == "zh" and hit.params["From"] == CALLER


def test_withheld_caller_id_is_sent_as_anonymous(sim: Sim, web: WebApp) -> None:
    sim.add_number(HOTLINE, voice_url=web.route("voice", twiml("<Hangup/>")))
    c = sim.dial(None, HOTLINE)
    c.expect_hangup()
    assert web.requests_to("voice")[0].params["From"] == "anonymous"
    assert web.requests_to("voice")[0].params["Caller"] == "anonymous"


def test_say_language_voice_loop_and_duration(sim: Sim, web: WebApp) -> None:
    web.route(
        "voice",
        twiml(
            '<Say language="cmn-TW" voice="Google.cmn-TW-Standard-A">您好，這裡是生命線</Say>'
            '<Say loop="2">one two three four five</Say>'
        ),
    )
    sim.add_number(HOTLINE, voice_url=web.url("voice"))
    c = sim.dial(CALLER, HOTLINE)
    zh = c.expect_say("生命線")
    assert zh["language"] == "cmn-TW" and zh["voice"] == "Google.cmn-TW-Standard-A"
    assert zh["duration"] == 2.0  # 8 CJK characters at ~4/s; punctuation is free
    first, second = c.expect_say("one two"), c.expect_say("one two")
    assert (first["loop"], second["loop"]) == (1, 2)
    assert first["duration"] == 2.0 and first["language"] == "en-US"
    c.expect_hangup()
    assert c.said() == ["您好，這裡是生命線", "one two three four five", "one two three four five"]


def test_play_measures_fetched_audio_and_loops(sim: Sim, web: WebApp) -> None:
    web.route("hold.wav", (sine_wav(2.0, rate=8000), 200))
    web.route("voice", twiml('<Play loop="3">/hold.wav</Play>'))
    sim.add_number(HOTLINE, voice_url=web.url("voice"))
    c = sim.dial(CALLER, HOTLINE)
    plays = [c.expect_play("hold.wav") for _ in range(3)]
    assert [p["duration"] for p in plays] == [2.0, 2.0, 2.0]
    assert plays[0]["url"] == web.url("hold.wav")
    c.expect_hangup()


def test_pause_waits_on_the_virtual_clock(sim: Sim, web: WebApp) -> None:
    web.route("voice", twiml('<Pause length="10"/><Say>after the pause</Say>'))
    sim.add_number(HOTLINE, voice_url=web.url("voice"))
    c = sim.dial(CALLER, HOTLINE)
    c.expect("pause")
    sim.advance(9)
    assert "after the pause" not in c.said()
    sim.advance(1)
    c.expect_say("after the pause")
    assert c.expect_hangup() == "completed"


def test_gather_timeout_falls_through_to_next_verb(sim: Sim, web: WebApp) -> None:
    web.route(
        "voice",
        twiml('<Gather timeout="5" action="/menu"><Say>Press a key</Say></Gather><Say>No input</Say>'),
    )
    sim.add_number(HOTLINE, voice_url=web.url("voice"))
    c = sim.dial(CALLER, HOTLINE)
    c.expect_gather()
    sim.advance(4)
    assert c.said() == ["Press a key"]
    sim.advance(1)
    c.expect_say("no input")
    c.expect_hangup()
    assert web.requests_to("menu") == []


def test_gather_action_on_empty_result(sim: Sim, web: WebApp) -> None:
    web.route(
        "voice",
        twiml('<Gather timeout="3" actionOnEmptyResult="true" action="/menu"/><Say>unreachable</Say>'),
    )
    web.route("menu", twiml("<Say>empty</Say>"))
    sim.add_number(HOTLINE, voice_url=web.url("voice"))
    c = sim.dial(CALLER, HOTLINE)
    c.expect_gather()
    sim.advance(3)
    c.expect_say("empty")
    c.expect_hangup()
    assert web.requests_to("menu")[0].params["Digits"] == ""
    assert "unreachable" not in c.said()


def test_gather_finish_on_key_and_digit_timeout(sim: Sim, web: WebApp) -> None:
    web.route(
        "voice", twiml('<Gather finishOnKey="*" timeout="4" action="/pin"><Say>Enter PIN</Say></Gather>')
    )
    web.route(
        "pin",
        lambda p: twiml(
            f"<Say>pin {p['Digits']}</Say>" + ("<Redirect>/again</Redirect>" if p["Digits"] == "12" else "")
        ),
    )
    web.route("again", twiml('<Gather timeout="4" action="/pin2"/>'))
    web.route("pin2", lambda p: twiml(f"<Say>second {p['Digits']}</Say>"))
    sim.add_number(HOTLINE, voice_url=web.url("voice"))
    c = sim.dial(CALLER, HOTLINE)
    c.press("12*")
    c.expect_say("pin 12")
    c.expect_gather()
    c.press("98")
    sim.advance(4)  # timeout after digits submits what was entered
    c.expect_say("second 98")
    c.expect_hangup()
    assert web.requests_to("pin")[0].params["FinishedOnKey"] == "*"


def test_key_interrupts_nested_prompt_and_early_keys_are_buffered(sim: Sim, web: WebApp) -> None:
    web.route(
        "voice",
        twiml(
            "<Say>Welcome</Say>"
            '<Gather numDigits="1" action="/m">'
            "<Say>Option one</Say><Say>Option two</Say><Play>/x.wav</Play></Gather>"
        ),
    )
    web.route("m", lambda p: twiml(f"<Say>got {p['Digits']}</Say>"))
    sim.add_number(HOTLINE, voice_url=web.url("voice"))
    c = sim.phone(CALLER)
    handle = sim.dial(CALLER, HOTLINE)
    handle.press("2")  # may arrive before the Gather: buffered, then barges in
    handle.expect_say("got 2")
    handle.expect_hangup()
    assert "Option two" not in handle.said() and not [e for e in handle.events if e["kind"] == "play"]
    assert c.number == CALLER


def test_redirect_hangup_and_relative_urls(sim: Sim, web: WebApp) -> None:
    web.route("ivr/voice", twiml("<Redirect>step2</Redirect>"))
    web.route("ivr/step2", twiml("<Say>step two</Say><Hangup/><Say>never</Say>"))
    sim.add_number(HOTLINE, voice_url=web.url("ivr/voice"))
    c = sim.dial(CALLER, HOTLINE)
    c.expect_say("step two")
    assert c.expect_hangup() == "completed"
    assert "never" not in c.said()
    assert web.requests_to("ivr/step2")[0].params["CallSid"] == c.sid


def test_reject_first_verb_is_busy_or_no_answer(sim: Sim, web: WebApp) -> None:
    web.route("busy", twiml('<Reject reason="busy"/>'))
    web.route("rej", twiml("<Reject/>"))
    sim.add_number(HOTLINE, voice_url=web.url("busy"))
    sim.add_number("+886277001235", voice_url=web.url("rej"))
    assert sim.dial(CALLER, HOTLINE).expect_hangup() == "busy"
    c = sim.dial(CALLER, "+886277001235")
    assert c.expect_hangup() == "no-answer"
    assert c.call.start_time is None  # never answered, never billed


def test_caller_hangup_mid_call_and_number_status_callback(sim: Sim, web: WebApp) -> None:
    web.route("voice", twiml('<Say>hello</Say><Pause length="30"/>'))
    sim.add_number(HOTLINE, voice_url=web.url("voice"), status_callback=web.url("status"))
    c = sim.dial(CALLER, HOTLINE)
    c.expect("pause")
    sim.advance(12)
    c.hangup()
    assert c.expect_hangup() == "completed"
    sim.settle()
    [hit] = web.requests_to("status")
    assert hit.signature_ok and hit.params["CallStatus"] == "completed"
    assert hit.params["CallDuration"] == "12" and hit.params["CallbackSource"] == "call-progress-events"
