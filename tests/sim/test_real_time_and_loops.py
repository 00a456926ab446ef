"""Real-time mode for people and drills, and the guard against runaway TwiML loops."""

from __future__ import annotations

import pytest

from sim import Sim
from sim.clock import ClockError
from tests.support.webapp import CALLER, HOTLINE, WebApp, twiml


def test_real_time_gather_timeout_uses_the_wall_clock() -> None:
    sim = Sim(virtual_time=False)
    sim.start()
    web = WebApp(sim.auth_token)
    try:
        web.route("voice", twiml('<Gather timeout="1" action="/m"><Say>hi</Say></Gather><Say>bye</Say>'))
        sim.add_number(HOTLINE, voice_url=web.url("voice"))
        with pytest.raises(ClockError):
            sim.advance(1)
        c = sim.phone(CALLER).dial(HOTLINE)
        gather = c.expect_gather(timeout=5)
        bye = c.expect_say("bye", timeout=5)
        # The timeout ran on the wall clock: at least its second passed between the two events.
        # (A lower bound only: how much longer a loaded machine takes is not this test's business.)
        assert bye["t"] - gather["t"] >= 1.0
        assert sim.clock.virtual is False
    finally:
        web.stop()
        sim.stop()


def test_hold_loop_without_input_waits_for_the_clock(sim: Sim, web: WebApp) -> None:
    web.route("hold", twiml("<Say>Please hold</Say><Redirect>/hold</Redirect>"))
    sim.add_number(HOTLINE, voice_url=web.url("hold"))
    c = sim.dial(CALLER, HOTLINE)
    c.expect("loop_guard")
    sim.settle()
    fetched = len(web.requests_to("hold"))
    assert 30 <= fetched <= 32  # stopped spinning at one virtual instant
    sim.advance(1)
    c.expect("loop_guard")
    assert len(web.requests_to("hold")) > fetched
    c.hangup()
    assert c.expect_hangup() == "completed"
