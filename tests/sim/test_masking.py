"""A secret <Gather> (action URL with secret=1) never shows its digits: not in the event feed,
the call log, nor the logged webhook, whether the keys came before or during the Gather."""

from __future__ import annotations

import requests

from sim import Sim
from sim.masking import MASK
from tests.support.webapp import CALLER, HOTLINE, WebApp, twiml


def test_pin_digits_are_masked_everywhere_but_ordinary_keys_are_not(sim: Sim, web: WebApp) -> None:
    web.route("voice", twiml('<Gather numDigits="1" action="/menu"><Say>Menu</Say></Gather>'))
    web.route("menu", twiml('<Gather action="/pin?secret=1"><Say>Enter your PIN</Say></Gather>'))
    web.route("pin", twiml('<Say>Next</Say><Gather action="/pin2?secret=1"><Say>Again</Say></Gather>'))
    web.route("pin2", twiml("<Say>Done</Say><Hangup/>"))
    sim.add_number(HOTLINE, voice_url=web.url("voice"))
    c = sim.dial(CALLER, HOTLINE)
    c.expect_say("Menu")
    c.press("3")
    c.expect_say("Enter your PIN")
    c.press("482916#")
    c.expect_say("Again")
    c.press("7351#")
    c.expect_say("Done")
    c.expect_hangup()
    feed = requests.get(sim.api_base_url + "/sim/api/events", timeout=5).text
    log = requests.get(sim.api_base_url + "/sim/api/log", timeout=5).text
    for text in (feed, log, repr(c.events)):
        assert "482916" not in text and "7351" not in text
    assert web.requests_to("pin")[0].params["Digits"] == "482916"  # the app itself still gets the PIN
    assert web.requests_to("pin2")[0].params["Digits"] == "7351"
    results = [e["digits"] for e in c.events if e["kind"] == "gather_result"]
    assert results[0] == "3" and set(results[1]) == set(results[2]) == {MASK}
    assert [e["digits"] for e in c.events if e["kind"] == "digits"][0] == "3"  # ordinary keys stay


def test_keys_typed_ahead_of_a_pin_prompt_are_masked_once_it_takes_them(sim: Sim, web: WebApp) -> None:
    web.route("voice", twiml('<Gather numDigits="1" action="/menu"><Say>Menu</Say></Gather>'))
    web.route("menu", twiml('<Gather action="/pin?secret=1"><Say>Enter your PIN</Say></Gather>'))
    web.route("pin", twiml("<Say>Done</Say><Hangup/>"))
    sim.add_number(HOTLINE, voice_url=web.url("voice"))
    c = sim.dial(CALLER, HOTLINE)
    c.expect_say("Menu")
    c.press("*482916#")  # the menu key and the PIN in one go, before the PIN Gather starts
    c.expect_say("Done")
    c.expect_hangup()
    assert "482916" not in requests.get(sim.api_base_url + "/sim/api/events", timeout=5).text
    assert "482916" not in repr(c.events)
    assert web.requests_to("pin")[0].params["Digits"] == "482916"
