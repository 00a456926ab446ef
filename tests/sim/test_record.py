"""<Record>: audio format, how it ends, the action request and recording status callbacks."""

from __future__ import annotations

import io
import wave
from pathlib import Path

import requests

from sim import Sim
from tests.support.webapp import CALLER, HOTLINE, WebApp, twiml

RECORD = (
    "<Say>Describe the emergency after the beep</Say>"
    '<Record maxLength="60" timeout="5" action="/done" recordingStatusCallback="/rsc" '
    'recordingStatusCallbackEvent="in-progress completed absent"/>'
    "<Say>no recording</Say>"
)


def _setup(sim: Sim, web: WebApp, body: str = RECORD) -> None:
    web.route("voice", twiml(body))
    web.route("done", lambda p: twiml(f"<Say>saved {p['RecordingDuration']} seconds</Say>"))
    sim.add_number(HOTLINE, voice_url=web.url("voice"))


def test_speak_then_hash_posts_action_then_status_callback(sim: Sim, web: WebApp, speech_wav: Path) -> None:
    _setup(sim, web)
    c = sim.dial(CALLER, HOTLINE)
    c.expect_record()
    assert c.expect("beep")
    c.speak(speech_wav)
    c.press("#")
    c.expect_say("saved 2 seconds")
    c.expect_hangup()
    sim.settle()
    action = web.requests_to("done")[0].params
    assert action["Digits"] == "#" and action["RecordingDuration"] == "2"
    assert action["RecordingSid"].startswith("RE") and action["RecordingUrl"].endswith(action["RecordingSid"])
    rsc = [h.params for h in web.requests_to("rsc")]
    assert [p["RecordingStatus"] for p in rsc] == ["in-progress", "completed"]
    assert rsc[1]["RecordingSid"] == action["RecordingSid"] and rsc[1]["RecordingSource"] == "RecordVerb"
    assert all(h.signature_ok for h in web.requests_to("rsc"))
    done_at = web.requests_to("done")[0].t
    assert web.requests_to("rsc")[1].t >= done_at  # the recording callback follows the action

    media = requests.get(action["RecordingUrl"])  # no extension = WAV, public like Twilio's default
    assert media.headers["Content-Type"] == "audio/x-wav"
    with wave.open(io.BytesIO(media.content)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
        assert abs(w.getnframes() / 8000 - 1.5) < 0.01
    assert requests.get(action["RecordingUrl"] + ".wav").content == media.content
    mp3 = requests.get(action["RecordingUrl"] + ".mp3")
    assert mp3.headers["Content-Type"] == "audio/mpeg" and len(mp3.content) > 500
    meta = requests.get(action["RecordingUrl"] + ".json", auth=(sim.account_sid, sim.auth_token)).json()
    assert meta["call_sid"] == c.sid and meta["duration"] == "2"
    assert [r.sid for r in sim.recordings] == [action["RecordingSid"]]


def test_silence_timeout_ends_recording(sim: Sim, web: WebApp, speech_wav: Path) -> None:
    _setup(sim, web)
    c = sim.dial(CALLER, HOTLINE)
    c.speak(speech_wav)  # said while the prompt plays: captured once the Record starts
    c.expect_record()
    sim.advance(6)  # 1.5 s of speech + 4.5 s of silence: not yet 5 s of silence
    assert not web.requests_to("done")
    sim.advance(0.5)
    c.expect_say("saved")
    assert web.requests_to("done")[0].params["Digits"] == ""


def test_max_length_cuts_the_recording(sim: Sim, web: WebApp, speech_wav: Path) -> None:
    _setup(sim, web, '<Record maxLength="1" timeout="10" action="/done" trim="do-not-trim"/>')
    c = sim.dial(CALLER, HOTLINE)
    c.expect_record()
    c.speak(speech_wav)
    sim.advance(1)
    c.expect_say("saved 1 seconds")
    assert sim.recordings[0].duration == 1


def test_caller_hangs_up_mid_recording(sim: Sim, web: WebApp, speech_wav: Path) -> None:
    _setup(sim, web)
    c = sim.dial(CALLER, HOTLINE)
    c.expect_record()
    c.speak(speech_wav)
    c.hangup()
    assert c.expect_hangup() == "completed"
    sim.settle()
    [action] = web.requests_to("done")
    assert action.params["Digits"] == "hangup" and action.params["RecordingDuration"] == "2"
    assert action.params["CallStatus"] == "completed"
    statuses = [h.params["RecordingStatus"] for h in web.requests_to("rsc")]
    assert statuses == ["in-progress", "completed"]
    assert "saved 2 seconds" not in c.said()  # TwiML returned after a hang-up is ignored


def test_empty_recording_skips_action_and_reports_absent(sim: Sim, web: WebApp) -> None:
    _setup(sim, web)
    c = sim.dial(CALLER, HOTLINE)
    c.expect_record()
    sim.advance(5)
    c.expect_say("no recording")
    sim.settle()
    assert web.requests_to("done") == []
    assert [h.params["RecordingStatus"] for h in web.requests_to("rsc")] == ["in-progress", "absent"]


def test_finish_on_key_play_beep_and_stale_keys(sim: Sim, web: WebApp, speech_wav: Path) -> None:
    _setup(sim, web, '<Gather numDigits="1" action="/rec"><Say>Press 1</Say></Gather>')
    web.route("rec", twiml('<Record finishOnKey="*" playBeep="false" action="/done"/>'))
    c = sim.dial(CALLER, HOTLINE)
    c.press("1#")  # "#" is left over from the menu and must not end the recording
    c.expect_record()
    c.speak(speech_wav)
    c.press("#")  # not a finish key here
    c.press("*")
    c.expect_say("saved")
    assert web.requests_to("done")[0].params["Digits"] == "*"
    assert not [e for e in c.events if e["kind"] == "beep"]


def test_a_sim_that_joined_another_hands_it_its_recordings(sim: Sim, web: WebApp, speech_wav: Path) -> None:
    """Twilio runs calls on many media servers behind one API host: whichever ran the call, the
    RecordingUrl names that host, which has the recording before any webhook names it. So may a
    load generator spread its callers over processes, each with its own Sim (bench/storm.py)."""
    front = Sim(sim.account_sid, sim.auth_token, virtual_time=True, control_token="front-token")
    front.start()
    edge = Sim(sim.account_sid, sim.auth_token, virtual_time=True, webhook_timeout=2.0)
    edge.join(front.api_base_url, "front-token")
    fetched: list[int] = []

    def done(p: dict[str, str]) -> str:  # the app fetches the recording as soon as it hears of it
        fetched.append(requests.get(p["RecordingUrl"] + ".wav").status_code)
        return twiml("<Say>thanks</Say>")

    web.route("voice", twiml('<Record timeout="5" action="/done"/>'))
    web.route("done", done)
    edge.add_number(HOTLINE, voice_url=web.url("voice"))
    try:
        c = edge.dial(CALLER, HOTLINE)
        c.expect_record()
        c.speak(speech_wav)
        c.press("#")
        c.expect_say("thanks")
        action = web.requests_to("done")[0]
        assert action.signature_ok and fetched == [200]
        url, sid = action.params["RecordingUrl"], action.params["RecordingSid"]
        assert url == f"{front.api_base_url}/2010-04-01/Accounts/{front.account_sid}/Recordings/{sid}"
        assert requests.get(url).content == edge.recording(sid).wav  # type: ignore[union-attr]
        listed = requests.get(f"{front.api_base_url}/2010-04-01/Accounts/{front.account_sid}/Recordings.json",
                              params={"CallSid": c.sid}, auth=(front.account_sid, front.auth_token)).json()
        assert [r["sid"] for r in listed["recordings"]] == [sid] and listed["recordings"][0]["duration"] == "2"
    finally:
        edge.stop()
        front.stop()
