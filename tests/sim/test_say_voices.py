"""<Say> as Twilio speaks it: the default voice is `man` in en-US, and a voice/language pair
Twilio does not document plays nothing, with warning 13511 in the call's log."""

from __future__ import annotations

from sim import Sim
from tests.support.webapp import CALLER, HOTLINE, WebApp, twiml


def errors(sim: Sim, code: int) -> list[dict]:
    return [e for e in sim.events if e["kind"] == "error" and e.get("code") == code]


def test_an_invalid_voice_and_language_pair_says_nothing_and_logs_13511(sim: Sim, web: WebApp) -> None:
    web.route("voice", twiml(
        '<Say language="zh-TW">您好</Say>'  # no voice: Twilio's `man`, who speaks no Chinese
        '<Say language="en-US" voice="Polly.Nobody">nobody</Say>'
        '<Say language="cmn-TW" voice="Google.cmn-TW-Standard-A">這裡是專線</Say>'
        "<Say>still here</Say>"))
    sim.add_number(HOTLINE, voice_url=web.url("voice"))
    c = sim.dial(CALLER, HOTLINE)
    c.expect_say("這裡是專線")
    default = c.expect_say("still here")
    assert (default["voice"], default["language"]) == ("man", "en-US")
    c.expect_hangup()
    assert c.said() == ["這裡是專線", "still here"]
    refused = errors(sim, 13511)
    assert [(e["text"], e["voice"], e["language"]) for e in refused] == [
        ("您好", "man", "zh-TW"), ("nobody", "Polly.Nobody", "en-US")]
    assert "does not speak 'zh-TW'" in refused[0]["message"] and "not a Twilio" in refused[1]["message"]
    assert all(e["call_sid"] == c.sid for e in refused)


def test_an_invalid_say_inside_a_gather_is_skipped_and_the_gather_still_listens(sim: Sim, web: WebApp) -> None:
    web.route("voice", twiml('<Gather numDigits="1" action="/menu"><Say language="zh-TW">請按一</Say>'
                             '<Say voice="Polly.Joanna-Neural" language="en-US">Press 1</Say></Gather>'))
    web.route("menu", lambda p: twiml(f'<Say voice="Polly.Joanna-Neural" language="en-US">got {p["Digits"]}</Say>'))
    sim.add_number(HOTLINE, voice_url=web.url("voice"))
    c = sim.dial(CALLER, HOTLINE)
    c.expect_say("Press 1")
    c.press("1")
    c.expect_say("got 1")
    c.expect_hangup()
    assert len(errors(sim, 13511)) == 1
