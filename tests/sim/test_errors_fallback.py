"""Twilio's reaction to a broken application: fallback URL, error codes, application error."""

from __future__ import annotations

import socket
import time

import pytest

from sim import Sim
from sim.runner import APP_ERROR_TEXT
from tests.support.webapp import CALLER, HOTLINE, WebApp, twiml


def _errors(handle) -> list[int]:  # noqa: ANN001
    return [e["code"] for e in handle.events if e["kind"] == "error"]


def test_5xx_uses_fallback_url_with_error_code(sim: Sim, web: WebApp) -> None:
    web.route("voice", ("oops", 500))
    web.route("fallback", twiml("<Say>Backup line</Say>"))
    sim.add_number(HOTLINE, voice_url=web.url("voice"), voice_fallback_url=web.url("fallback"))
    c = sim.dial(CALLER, HOTLINE)
    c.expect_say("backup line")
    assert c.expect_hangup() == "completed"
    fb = web.requests_to("fallback")[0]
    assert fb.signature_ok and fb.params["ErrorCode"] == "11200" and fb.params["ErrorUrl"] == web.url("voice")
    assert _errors(c) == [11200]
    [webhook] = c.webhooks("voice")
    assert webhook["status"] == 500 and webhook["error_code"] == 11200 and webhook["latency_ms"] >= 0


def test_slow_app_times_out_and_falls_back(sim: Sim, web: WebApp) -> None:
    sim.webhook_timeout = 0.3  # Twilio waits 15 s; configurable so this test waits 0.3 s real
    web.route("voice", lambda p: (time.sleep(0.6), twiml("<Say>too late</Say>"))[1])
    web.route("fallback", twiml("<Say>Backup line</Say>"))
    sim.add_number(HOTLINE, voice_url=web.url("voice"), voice_fallback_url=web.url("fallback"))
    c = sim.dial(CALLER, HOTLINE)
    c.expect_say("backup line")
    assert "too late" not in c.said()
    assert _errors(c) == [11205]
    assert web.requests_to("fallback")[0].params["ErrorCode"] == "11205"


def test_connection_refused_without_fallback_is_an_application_error(sim: Sim) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    sim.add_number(HOTLINE, voice_url=f"http://127.0.0.1:{port}/voice")
    c = sim.dial(CALLER, HOTLINE)
    c.expect_say("application error")
    assert c.expect_hangup() == "completed"
    assert _errors(c) == [11205] and c.said() == [APP_ERROR_TEXT]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("<Response><Say>unclosed</Response>", 12100),
        ("", 12100),
        ("<Foo><Say>x</Say></Foo>", 12102),
        ("<Response><Say>ok</Say><Dance/></Response>", 12200),
        ("<Response><Gather><Record/></Gather></Response>", 12200),
    ],
)
def test_bad_twiml_ends_call_with_application_error(sim: Sim, web: WebApp, body: str, code: int) -> None:
    sim.add_number(HOTLINE, voice_url=web.route("voice", body))
    c = sim.dial(CALLER, HOTLINE)
    assert c.expect_hangup() == "completed"
    assert _errors(c) == [code]
    assert c.said() == [APP_ERROR_TEXT]


def test_bad_action_document_also_uses_fallback(sim: Sim, web: WebApp) -> None:
    web.route("voice", twiml('<Gather numDigits="1" action="/broken"><Say>menu</Say></Gather>'))
    web.route("broken", "<Response><Say>")
    web.route("fallback", twiml("<Say>sorry, transferring</Say>"))
    sim.add_number(HOTLINE, voice_url=web.url("voice"), voice_fallback_url=web.url("fallback"))
    c = sim.dial(CALLER, HOTLINE)
    c.press("1")
    c.expect_say("sorry, transferring")
    assert web.requests_to("fallback")[0].params["ErrorCode"] == "12100"


def test_play_of_missing_file_is_logged_and_skipped(sim: Sim, web: WebApp) -> None:
    web.route("missing.mp3", ("nope", 404))
    sim.add_number(
        HOTLINE, voice_url=web.route("voice", twiml("<Play>/missing.mp3</Play><Say>still here</Say>"))
    )
    c = sim.dial(CALLER, HOTLINE)
    c.expect_say("still here")
    assert _errors(c) == [11200]
