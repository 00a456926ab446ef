"""PINs while Redis is away. The throttles' counts live in Redis; when it refuses (killed) or
never answers (frozen), the rightful operator must still get into the relay menu, and guessing
must still be throttled, in this process's memory, until Redis is back. Before, a PIN entered
while Redis was down raised inside the webhook (the operator was sent to the error answer), and
a frozen Redis cost every Redis call of the check the whole socket timeout."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from hotline.base import lockout, pins, redis_reach
from hotline.service.embedded_redis import EmbeddedRedis, start_embedded_redis
from tests.support.lanes import starts_processes
from tests.support.sandbox import HOTLINE, Hotline

OPERATOR_PIN = "482916"
WELCOME, REFUSED = "備援通報員您好", "無法進入"


@pytest.fixture
@starts_processes
def own(tmp_path: Path) -> Iterator[tuple[Hotline, EmbeddedRedis]]:
    redis = start_embedded_redis(tmp_path / "redis", persist=False)
    h = Hotline(tmp_path / "hotline", redis.url, "sqlite", extra_env={"HOTLINE_OPERATOR_PIN": OPERATOR_PIN})
    try:
        yield h, redis
    finally:
        if redis.process.poll() is None:
            os.kill(redis.process.pid, signal.SIGCONT)
        h.close()
        redis.stop()
        lockout.forget_local()
        redis_reach.reachable_now()


def _pin_call(h: Hotline, caller: str, *guesses: str) -> list[str]:
    """Dial, open the hidden menu, enter each PIN; returns what the caller heard."""
    c = h.sim.dial(caller, HOTLINE)
    c.expect_say("請選擇事件類型")
    c.press("*")
    for guess in guesses:
        c.press(guess + "#")
    c.expect("say", lambda e: WELCOME in e["text"] or REFUSED in e["text"], 20.0, "the answer to the PIN")
    said = c.said()
    c.hangup()
    c.expect_hangup()
    return said


def test_redis_killed_the_operator_still_gets_in_and_guesses_are_still_throttled(own):
    h, redis = own
    redis.process.kill()
    redis.process.wait(10)
    assert any(WELCOME in s for s in _pin_call(h, "+886955700001", OPERATOR_PIN))
    # six wrong guesses from one number: the first five are checked, then its caller ID waits,
    # so even the right PIN from that number is not checked now (counted in memory)
    said = _pin_call(h, "+886955700002", "101010", "202020", "303030")
    said += _pin_call(h, "+886955700002", "404040", "505050", OPERATOR_PIN)
    assert not any(WELCOME in s for s in said)
    rejected = [e for e in h.audit(kind="pin_rejected") if e.actor == "+886955700002"]
    assert [e.detail.get("throttled") for e in rejected] == [False] * pins.PIN_SOURCE.free + [True]
    # and the rightful operator, from another number, is not kept out by them
    assert any(WELCOME in s for s in _pin_call(h, "+886955700003", OPERATOR_PIN))


def test_redis_frozen_the_operator_gets_in_within_twilios_timeout(own):
    """SIGSTOP: Redis accepts the connection and never answers. The first try pays the client's
    socket timeout once; everything after it in this process goes to memory at once, so the
    answer comes well inside the 15 s Twilio waits for a webhook (the sim's limit too)."""
    h, redis = own
    h.sim.webhook_timeout = 15.0  # Twilio's own limit (the sandbox's sim waits 5 s, to fail fast)
    os.kill(redis.process.pid, signal.SIGSTOP)
    assert any(WELCOME in s for s in _pin_call(h, "+886955700004", OPERATOR_PIN))
    assert not [e for e in h.sim.events if e.get("purpose") == "fallback"]
