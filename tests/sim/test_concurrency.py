"""200 simultaneous calls in virtual time: no deadlock, no cross-talk between calls."""

from __future__ import annotations

from sim import Sim
from tests.support.webapp import HOTLINE, WebApp, twiml

N = 200


def test_200_concurrent_calls_keep_their_own_parameters(sim: Sim, web: WebApp) -> None:
    web.route(
        "voice",
        lambda p: twiml(
            f'<Gather numDigits="3" timeout="10" action="/menu"><Say>Hello {p["From"]}</Say></Gather>'
            f"<Say>timeout {p['From']}</Say>"
        ),
    )
    web.route("menu", lambda p: twiml(f'<Say>{p["From"]} pressed {p["Digits"]}</Say><Pause length="5"/>'))
    sim.add_number(HOTLINE, voice_url=web.url("voice"), status_callback=web.url("status"))
    callers = [f"+8869120{i:05d}" for i in range(N)]
    handles = [sim.dial(number, HOTLINE) for number in callers]
    for i, (number, handle) in enumerate(zip(callers, handles, strict=False)):
        handle.expect_say(f"hello {number}", timeout=30)
        if i % 2 == 0:
            handle.press(f"{i % 1000:03d}")
    sim.advance(10)
    sim.advance(5)
    for i, (number, handle) in enumerate(zip(callers, handles, strict=False)):
        assert handle.expect_hangup(timeout=30) == "completed"
        expected = f"{number} pressed {i % 1000:03d}" if i % 2 == 0 else f"timeout {number}"
        assert handle.said() == [f"Hello {number}", expected]
        for hook in handle.webhooks():
            assert hook["params"]["CallSid"] == handle.sid and hook["params"]["From"] == number
    sim.settle()
    assert len(web.hits) == N + N // 2 + N  # voice + menu (pressers) + status callbacks
    assert all(hit.signature_ok for hit in web.hits)
    by_sid = {h.sid: h.call.from_ for h in handles}
    for hit in web.hits:
        assert by_sid[hit.params["CallSid"]] == hit.params["From"]
    assert len({h.sid for h in handles}) == N
