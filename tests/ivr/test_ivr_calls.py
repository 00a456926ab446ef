"""Calls to the hotline through the sim, as a caller would make them: real HTTP server,
real Redis, real RQ worker, SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from hotline.base.models import Recording
from tests.support.lanes import starts_processes
from tests.support.postgres import database_for
from tests.support.sandbox import HOTLINE, Hotline

CALLER = "+886912345678"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
@starts_processes
def hotline(request, redis_url, tmp_path_factory):
    url, drop = database_for(request.param)
    h = Hotline(tmp_path_factory.mktemp(f"ivr-{request.param}"), redis_url, url, on_close=drop)
    h.start_worker("recordings", "callout", "default")
    yield h
    h.close()


@pytest.mark.parametrize("key,type_key", [("1", "natural_disaster"), ("2", "cyber_security"),
                                          ("3", "public_health"), ("4", "supply_chain"),
                                          ("5", "workplace_accident"), ("6", "reputation"), ("7", "other")])
def test_each_key_files_the_right_type(hotline, key, type_key, speech_wav):
    c = hotline.report(key + "2", wav=speech_wav)
    inc = hotline.incident_for(c.sid)
    assert inc is not None and inc.type_key == type_key and inc.severity == "normal"
    assert inc.caller == CALLER and inc.callback_number == CALLER and inc.language == "zh-TW"


def test_reference_number_is_read_back_digit_by_digit(hotline, speech_wav):
    c = hotline.report("51", wav=speech_wav)
    inc = hotline.incident_for(c.sid)
    spoken = " ".join(inc.ref)
    assert any(spoken in said for said in c.said()), c.said()
    assert inc.severity == "danger"


def test_recording_is_stored_with_checksum_and_duration(hotline, speech_wav):
    c = hotline.report("12", wav=speech_wav)
    inc = hotline.incident_for(c.sid)
    rec: Recording = hotline.wait_for(
        lambda: next((r for r in hotline.recordings(inc.id) if r.status == "stored"), None), what="stored recording")
    data = Path(rec.path).read_bytes()
    assert hashlib.sha256(data).hexdigest() == rec.sha256
    assert Path(rec.path).is_relative_to(hotline.config.recordings_dir)
    sim_rec = next(r for r in hotline.sim.recordings if r.sid == rec.sid)
    assert hashlib.sha256(sim_rec.wav).hexdigest() == rec.sha256
    assert rec.format == "wav/8000Hz/1ch/16bit"
    assert abs(rec.duration - sim_rec.duration) < 0.2 and rec.duration > 1.0
    assert hotline.wait_for(lambda: hotline.audit(inc.id, "callout_requested"), what="hand-off to the callout")


def test_english_caller_switches_language_with_one_key(hotline, speech_wav):
    c = hotline.sim.dial(CALLER, HOTLINE)
    c.expect_say("For English, press 9")
    c.press("9")
    c.expect_say("cyber-security, press 2")
    c.press("2")
    c.press("2")
    c.expect_record()
    c.speak(speech_wav)
    c.press("#")
    c.expect_say("Your report number is")
    c.expect_hangup()
    inc = hotline.incident_for(c.sid)
    assert inc.language == "en-US" and inc.type_key == "cyber_security"


def test_invalid_keys_and_silence_reprompt_then_go_on_unclassified(hotline):
    c = hotline.sim.dial(CALLER, HOTLINE)
    c.expect_say("請選擇事件類型")
    c.press("0")
    c.expect_say("這個按鍵無效")
    c.expect_say("請選擇事件類型")
    hotline.sim.advance(6)  # silence: the sim's clock runs the Gather's timeout out
    c.expect_say("我們沒有收到按鍵")
    c.expect_say("請選擇事件類型")
    hotline.sim.advance(6)
    c.expect_say("如果現在有人受傷")  # gone on, unclassified, to the severity question
    hotline.sim.advance(5)
    c.expect_record()
    c.hangup()
    c.expect_hangup()
    inc = hotline.wait_for(lambda: hotline.incident_for(c.sid), what="incident")
    assert inc.type_key == "unclassified" and inc.severity == "unknown"


def test_withheld_caller_id_is_asked_for_a_callback_number(hotline, speech_wav):
    c = hotline.sim.dial("anonymous", HOTLINE)
    c.expect_say("請選擇事件類型")
    c.press("3")
    c.press("2")
    c.expect_say("請輸入回電號碼")
    c.press("0912000777#")
    c.expect_record()
    c.speak(speech_wav)
    c.press("#")
    c.expect_hangup()
    inc = hotline.incident_for(c.sid)
    assert inc.caller is None and inc.callback_number == "+886912000777"


def test_lifeline_key_forwards_the_caller(hotline):
    lifeline = hotline.sim.phone(hotline.config.lifeline_number)
    lifeline.answer_after(2)
    c = hotline.sim.dial(CALLER, HOTLINE)
    c.expect_say("請選擇事件類型")
    c.press("8")
    c.expect_dial()
    leg = lifeline.expect_call()
    hotline.sim.advance(3)
    leg.hangup()
    c.expect_hangup()
    row = hotline.wait_for(lambda: hotline.call_row(c.sid), what="call row")
    assert row.purpose == "lifeline" and not row.abandoned
    assert hotline.audit(kind="lifeline_forward")


def test_hang_up_before_choosing_is_an_abandoned_call_to_call_back(hotline):
    c = hotline.sim.dial("+886955000111", HOTLINE)
    c.expect_say("請選擇事件類型")
    c.hangup()
    c.expect_hangup()
    row = hotline.wait_for(lambda: (r := hotline.call_row(c.sid)) and r.abandoned and r, what="abandoned call")
    assert row.from_number == "+886955000111" and row.incident_id is None
    events = [e for e in hotline.audit(kind="abandoned_call") if e.detail.get("call_sid") == c.sid]
    assert events and events[0].detail["caller"] == "+886955000111"


@pytest.mark.parametrize("node", ["severity", "callback", "record_prompt", "recording", "closing"])
def test_hang_up_at_any_node_after_choosing_loses_nothing(hotline, node, speech_wav):
    caller = "anonymous" if node == "callback" else CALLER
    c = hotline.sim.dial(caller, HOTLINE)
    c.expect_say("請選擇事件類型")
    c.press("4")
    if node == "severity":
        c.expect_gather()
    else:
        c.press("1")
        if node == "callback":
            c.expect_say("請輸入回電號碼")
        else:
            c.expect_record()
            if node in ("recording", "closing"):
                c.speak(speech_wav)
            if node == "closing":
                c.press("#")
                c.expect_say("通報編號")
    c.hangup()
    c.expect_hangup()
    inc = hotline.wait_for(lambda: hotline.incident_for(c.sid), what="incident")
    assert inc.type_key == "supply_chain"
    assert hotline.wait_for(lambda: hotline.audit(inc.id, "callout_requested"), what="hand-off")
    if node in ("recording", "closing"):
        rec = hotline.wait_for(lambda: next((r for r in hotline.recordings(inc.id) if r.status == "stored"), None),
                               what="partial recording stored")
        assert rec.duration > 1.0


def test_fallback_flow_when_the_app_fails(hotline, speech_wav):
    """Twilio's VoiceFallbackUrl: the primary URL answers 500, the caller still leaves a message."""
    broken = "+886277009999"
    hotline.sim.add_number(broken, voice_url=f"{hotline.public_url}/no-such-route-500",
                           voice_fallback_url=f"{hotline.public_url}/voice/fallback",
                           status_callback=f"{hotline.public_url}/voice/status")
    c = hotline.sim.dial(CALLER, broken)
    c.expect_say("After the beep")
    c.expect_record()
    c.speak(speech_wav)
    c.press("#")
    c.expect_say("Thank you")
    c.expect_hangup()
    inc = hotline.wait_for(lambda: hotline.incident_for(c.sid), what="incident from the fallback flow")
    assert inc.source == "fallback"
    assert hotline.wait_for(lambda: [r for r in hotline.recordings(inc.id) if r.status == "stored"], what="stored")


def test_knowing_caller_reaches_the_beep_in_two_keys_and_about_twenty_seconds(hotline):
    """Measured from the sim's log: prompt audio heard before the beep, for a caller who presses
    their key as soon as they hear it (barge-in)."""
    c = hotline.sim.dial(CALLER, HOTLINE)
    c.expect_say("職場意外請按5")
    c.press("5")
    c.expect_say("如果現在有人受傷或有危險")
    c.press("1")
    c.expect_record()
    c.hangup()
    presses = [e for e in c.events if e["kind"] == "digits"]
    heard = prompt_seconds_with_barge_in(c.events, ["職場意外請按5", "如果現在有人受傷或有危險"])
    everything = sum(e["duration"] for e in c.events if e["kind"] == "say")
    print(f"prompt audio before the beep: {heard:.1f}s with barge-in, {everything:.1f}s without")
    assert len(presses) == 2
    assert heard <= 20.0


def prompt_seconds_with_barge_in(events: list[dict], cues: list[str]) -> float:
    """Sum Say durations, skipping what follows a cue inside the same Gather (the key cut it off)."""
    total, skipping = 0.0, False
    for e in events:
        if e["kind"] == "gather":
            skipping = False
        if e["kind"] == "say" and not skipping:
            total += e["duration"]
            if any(cue in e["text"] for cue in cues):
                skipping = True
        if e["kind"] == "record":
            break
    return total
