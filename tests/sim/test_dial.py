"""<Dial><Number>: ringing a volunteer's sim phone, bridging, whisper and the action request."""

from __future__ import annotations

from sim import Sim
from tests.support.webapp import CALLER, HOTLINE, WebApp, twiml

VOLUNTEER = "+886912000001"
BACKUP = "+886912000002"


def _dial_route(web: WebApp, inner: str, attrs: str = 'action="/after" timeout="20"') -> None:
    web.route("voice", twiml(f"<Say>Connecting</Say><Dial {attrs}>{inner}</Dial><Say>after dial</Say>"))
    web.route("after", lambda p: twiml(f"<Say>dial {p['DialCallStatus']}</Say>"))


def test_dial_bridges_and_posts_action_when_callee_hangs_up(sim: Sim, web: WebApp) -> None:
    _dial_route(web, f"<Number>{VOLUNTEER}</Number>", 'action="/after" callerId="+886277009999"')
    sim.add_number(HOTLINE, voice_url=web.url("voice"))
    c = sim.dial(CALLER, HOTLINE)
    assert c.expect_dial()["numbers"] == [VOLUNTEER]
    leg = sim.phone(VOLUNTEER).expect_call()
    assert leg.call.from_ == "+886277009999" and leg.call.parent_sid == c.sid
    assert leg.call.direction == "outbound-dial"
    sim.advance(3)
    leg.answer()
    leg.expect("bridged")
    sim.advance(42)
    leg.hangup()
    c.expect_say("dial completed")
    c.expect_hangup()
    p = web.requests_to("after")[0].params
    assert p["DialCallStatus"] == "completed" and p["DialCallSid"] == leg.sid
    assert p["DialCallDuration"] == "42" and p["DialBridged"] == "true" and p["CallSid"] == c.sid


def test_plain_text_number_timeout_gives_no_answer(sim: Sim, web: WebApp) -> None:
    _dial_route(web, VOLUNTEER)
    sim.add_number(HOTLINE, voice_url=web.url("voice"))
    c = sim.dial(CALLER, HOTLINE)
    leg = sim.phone(VOLUNTEER).expect_call()
    leg.expect_status("ringing")
    sim.advance(19)
    assert leg.status == "ringing"
    sim.advance(1)
    c.expect_say("dial no-answer")
    assert leg.expect_hangup() == "no-answer"


def test_busy_number_and_no_action_continues_with_next_verb(sim: Sim, web: WebApp) -> None:
    _dial_route(web, f"<Number>{VOLUNTEER}</Number>", 'timeout="10"')
    sim.add_number(HOTLINE, voice_url=web.url("voice"))
    sim.phone(VOLUNTEER).busy()
    c = sim.dial(CALLER, HOTLINE)
    c.expect_say("after dial")
    c.expect_hangup()
    [result] = [e for e in c.events if e["kind"] == "dial_result"]
    assert result["DialCallStatus"] == "busy"


def test_first_of_two_numbers_to_answer_wins(sim: Sim, web: WebApp) -> None:
    _dial_route(web, f"<Number>{VOLUNTEER}</Number><Number>{BACKUP}</Number>")
    sim.add_number(HOTLINE, voice_url=web.url("voice"))
    sim.phone(VOLUNTEER).answer_after(5)
    sim.phone(BACKUP).answer_after(2)
    c = sim.dial(CALLER, HOTLINE)
    c.expect_dial()
    sim.advance(2)
    backup = sim.phone(BACKUP).expect_call()
    backup.expect("bridged")
    assert sim.phone(VOLUNTEER).expect_call().expect_hangup() == "canceled"
    backup.hangup()
    c.expect_say("dial completed")


def test_whisper_lets_the_volunteer_accept(sim: Sim, web: WebApp) -> None:
    _dial_route(web, f'<Number url="/whisper">{VOLUNTEER}</Number>')
    web.route(
        "whisper",
        twiml('<Gather numDigits="1" action="/whisper-done"><Say>Press 1 to accept</Say></Gather><Hangup/>'),
    )
    web.route("whisper-done", lambda p: twiml("" if p["Digits"] == "1" else "<Hangup/>"))
    sim.add_number(HOTLINE, voice_url=web.url("voice"))
    c = sim.dial(CALLER, HOTLINE)
    leg = sim.phone(VOLUNTEER).expect_call()
    leg.answer()
    leg.expect_say("press 1 to accept")
    leg.press("1")
    leg.expect("bridged")
    assert web.requests_to("whisper")[0].params["CallSid"] == leg.sid
    assert web.requests_to("whisper")[0].params["ParentCallSid"] == c.sid
    leg.hangup()
    c.expect_say("dial completed")


def test_whisper_declined_is_not_bridged(sim: Sim, web: WebApp) -> None:
    _dial_route(web, f'<Number url="/whisper">{VOLUNTEER}</Number>')
    web.route(
        "whisper", twiml('<Gather numDigits="1" timeout="5"><Say>Press 1 to accept</Say></Gather><Hangup/>')
    )
    sim.add_number(HOTLINE, voice_url=web.url("voice"))
    c = sim.dial(CALLER, HOTLINE)
    leg = sim.phone(VOLUNTEER).expect_call()
    leg.answer()
    leg.expect_gather()
    sim.advance(5)
    c.expect_say("dial completed")
    assert web.requests_to("after")[0].params["DialBridged"] == "false"


def test_caller_hangs_up_while_volunteer_rings(sim: Sim, web: WebApp) -> None:
    _dial_route(web, f"<Number>{VOLUNTEER}</Number>")
    sim.add_number(HOTLINE, voice_url=web.url("voice"))
    c = sim.dial(CALLER, HOTLINE)
    leg = sim.phone(VOLUNTEER).expect_call()
    leg.expect_status("ringing")
    c.hangup()
    assert c.expect_hangup() == "completed"
    assert leg.expect_hangup() == "canceled"
    sim.settle()
    hit = web.requests_to("after")[0]
    assert hit.params["CallStatus"] == "completed" and hit.params["DialCallStatus"] == "canceled"


def test_hang_up_on_star_and_time_limit(sim: Sim, web: WebApp) -> None:
    _dial_route(web, f"<Number>{VOLUNTEER}</Number>", 'action="/after" hangupOnStar="true" timeLimit="60"')
    sim.add_number(HOTLINE, voice_url=web.url("voice"))
    sim.phone(VOLUNTEER).answer_after(0)
    c = sim.dial(CALLER, HOTLINE)
    sim.phone(VOLUNTEER).expect_call().expect("bridged")
    c.press("*")
    c.expect_say("dial completed")  # the caller is back in the IVR; the volunteer leg is hung up

    second = sim.dial(CALLER, HOTLINE)
    leg = sim.phone(VOLUNTEER).expect_call()
    leg.expect("bridged")
    sim.advance(60)
    second.expect_say("dial completed")
    assert leg.expect_hangup() == "completed" and leg.call.duration == 60
