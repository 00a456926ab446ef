"""Issue 24, finding 6: signed webhooks could be replayed for ever, after the call had ended. Now a
signed request for a call that has ended changes nothing (audited), and state-changing menu
actions are sets, not toggles. Sim-signed webhooks against a whole hotline, real Redis.
(Each test fails on the main before the fix.)"""

from __future__ import annotations

import pytest

from hotline.base import jobs
from hotline.base.lifecycle import Actor, Channel
from hotline.paging import commands
from tests.support.sandbox import HOTLINE, Hotline
from tests.support.trust import OPERATOR, OPERATOR_PIN
from tests.support.trust import incident as _incident
from tests.support.trust import next_url as _next_url
from tests.support.trust import reported as _reported
from tests.support.trust import signed_post as _signed_post


@pytest.fixture(scope="module")
def hotline(redis_url, tmp_path_factory):
    h = Hotline(tmp_path_factory.mktemp("replay"), redis_url, "sqlite",
                extra_env={"HOTLINE_OPERATOR_PIN": OPERATOR_PIN})
    h.start_worker("recordings", "default")
    yield h
    h.close()


def test_finding6_a_replayed_keypress_after_the_call_ended_changes_nothing(hotline, speech_wav):
    inc = _reported(hotline, speech_wav)
    form = {"CallSid": "CAreplayop1", "From": OPERATOR, "To": HOTLINE, "AccountSid": hotline.sim.account_sid}
    r = _signed_post(hotline, "/voice/incoming", form)
    r = _signed_post(hotline, _next_url(r.text), {**form, "Digits": "2"})  # existing incident: the PIN first
    r = _signed_post(hotline, _next_url(r.text), {**form, "Digits": OPERATOR_PIN})
    for digits in (inc.ref + "#", "1"):  # its reference, confirm
        r = _signed_post(hotline, _next_url(r.text), {**form, "Digits": digits})
    captured = (_next_url(r.text), {**form, "Digits": "2"})  # resolve
    r = _signed_post(hotline, *captured)
    assert r.status_code == 200 and _incident(hotline, inc.id).status == "closed"
    jobs.run(commands.reopen, inc.id, Actor("test", Channel.CLI), "reopened by the test")
    assert _incident(hotline, inc.id).status != "closed"
    ended = _signed_post(hotline, "/voice/status", {**form, "CallStatus": "completed", "CallDuration": "40"})
    assert ended.status_code == 200
    replay = _signed_post(hotline, *captured)  # the same signed request, after the call ended
    assert replay.status_code == 200
    assert _incident(hotline, inc.id).status != "closed"
    refused = [e for e in hotline.audit(kind="webhook_call_mismatch") if e.detail.get("call_sid") == "CAreplayop1"]
    assert refused and refused[-1].detail["reason"] == "the call has ended"
    jobs.run(commands.stop_paging, inc.id, Actor("test", Channel.CLI), "end of test")


def test_finding9_a_recording_callback_with_another_calls_sid_changes_nothing(hotline, speech_wav):
    """/voice/recording-status checks the CallSid against the incident in its signed URL, like
    the other mid-call routes: call B's CallSid on call A's URL attaches nothing, pages nobody."""
    inc = _reported(hotline, speech_wav)
    other = {"CallSid": "CArecB0001", "From": "+886955700777", "To": HOTLINE, "AccountSid": hotline.sim.account_sid}
    assert _signed_post(hotline, "/voice/incoming", other).status_code == 200  # call B, a real call
    before = {r.sid for r in hotline.recordings(inc.id)}
    form = {**other, "RecordingSid": "REforeignB01", "RecordingStatus": "completed", "RecordingDuration": "4",
            "RecordingUrl": f"{hotline.sim.api_base_url}/2010-04-01/Accounts/{hotline.sim.account_sid}/Recordings/RE1"}
    r = _signed_post(hotline, f"/voice/recording-status?w=default&n=record&l=zh-TW&i={inc.id}&r=report", form)
    assert r.status_code == 200
    assert {r.sid for r in hotline.recordings(inc.id)} == before
    refused = [e for e in hotline.audit(kind="webhook_call_mismatch") if e.detail.get("call_sid") == "CArecB0001"]
    assert refused and refused[-1].detail["url_incident"] == inc.id
    jobs.run(commands.stop_paging, inc.id, Actor("test", Channel.CLI), "end of test")
