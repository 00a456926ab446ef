"""Unit-level checks of the pure parts: clock, state machine, signing, TwiML parsing, audio."""

from __future__ import annotations

import threading

import pytest
from twilio.request_validator import RequestValidator

from sim import audio
from sim.callstate import CallStatus, IllegalTransition, can_transition, check_transition, update_outcome
from sim.clock import Clock, ClockError
from sim.numbers import is_valid_number, normalize_caller
from sim.signing import signature, url_with_query
from sim.twiml import TwimlError, parse
from tests.support.webapp import sine_wav


def test_virtual_clock_fires_deadlines_in_order_and_waits_for_workers() -> None:
    cond = threading.Condition(threading.RLock())
    clock = Clock(cond, virtual=True)
    fired: list[tuple[str, float]] = []

    def worker(name: str, delays: list[float]) -> None:
        try:
            for delay in delays:
                with cond:
                    clock.wait_until(clock.now() + delay, lambda: False, name)
                    fired.append((name, clock.now() - start))
        finally:
            clock.worker_finished()

    start = clock.now()
    with cond:
        clock.worker_started()
        clock.worker_started()
    threading.Thread(target=worker, args=("a", [5, 5]), daemon=True).start()
    threading.Thread(target=worker, args=("b", [7]), daemon=True).start()
    clock.advance(12)
    assert fired == [("a", 5), ("b", 7), ("a", 10)]
    assert clock.now() - start == 12 and clock.busy_workers == 0


def test_kick_wakes_a_waiter_before_advance_can_skip_past_it() -> None:
    cond = threading.Condition(threading.RLock())
    clock = Clock(cond, virtual=True)
    box: list[str] = []
    result: list[bool] = []

    def worker() -> None:
        try:
            with cond:
                result.append(clock.wait_until(clock.now() + 5, lambda: bool(box), "call"))
        finally:
            clock.worker_finished()

    with cond:
        clock.worker_started()
    threading.Thread(target=worker, daemon=True).start()
    clock.settle()
    with cond:
        box.append("1")
        clock.kick("call")
    clock.advance(10)
    assert result == [True]


def test_real_clock_cannot_be_advanced() -> None:
    clock = Clock(threading.Condition(), virtual=False)
    with pytest.raises(ClockError):
        clock.advance(1)


def test_call_state_machine() -> None:
    assert can_transition(CallStatus.QUEUED, CallStatus.RINGING)
    assert can_transition(CallStatus.RINGING, CallStatus.BUSY)
    assert not can_transition(CallStatus.IN_PROGRESS, CallStatus.NO_ANSWER)
    assert not can_transition(CallStatus.COMPLETED, CallStatus.IN_PROGRESS)
    with pytest.raises(IllegalTransition):
        check_transition(CallStatus.COMPLETED, CallStatus.RINGING)
    assert update_outcome(CallStatus.RINGING, "canceled") is CallStatus.CANCELED
    assert update_outcome(CallStatus.IN_PROGRESS, "canceled") is None
    assert update_outcome(CallStatus.IN_PROGRESS, "completed") is CallStatus.COMPLETED
    assert update_outcome(CallStatus.COMPLETED, "completed") is None


def test_signature_matches_twilio_request_validator() -> None:
    token = "12345"
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+12349013030",
        "Digits": "1234",
        "From": "+12349013030",
        "To": "+18005551212",
    }
    sig = signature(token, url, params)
    assert sig == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="  # the known vector from Twilio's security docs
    assert RequestValidator(token).validate(url, params, sig)
    get_url = url_with_query("http://127.0.0.1:5000/v", {"From": "+886912345678", "Digits": "1#"})
    assert RequestValidator(token).validate(get_url, {}, signature(token, get_url))


def test_twiml_parse() -> None:
    verbs = parse(
        '<Response><Say voice="alice">Hi <break time="1s"/> there</Say><Gather><Pause/></Gather></Response>',
        {"Say", "Gather", "Pause"},
    )
    assert [v.name for v in verbs] == ["Say", "Gather"] and verbs[0].text == "Hi there"
    with pytest.raises(TwimlError) as err:
        parse("<Response><say>lowercase</say></Response>", {"Say"})
    assert err.value.code == 12200


@pytest.mark.slow  # runs ffmpeg/ffprobe (pydub)
def test_numbers_and_audio() -> None:
    assert is_valid_number("+886912345678") and is_valid_number("+14155550100")
    assert not is_valid_number("0912345678") and not is_valid_number("+1")
    assert normalize_caller(None) == normalize_caller("Restricted") == "anonymous"
    assert audio.say_duration("Please hold, a volunteer will answer") == 2.4
    wav = audio.normalize(sine_wav(1.0, rate=44100))
    assert audio.duration(wav) == pytest.approx(1.0, abs=0.01)
    assert audio.duration(audio.concat([wav, wav], trailing_silence=0.5, max_seconds=2.2)) == pytest.approx(
        2.2
    )
