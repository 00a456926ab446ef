"""The /sim/api JSON control endpoints drive phones and the clock from another process."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import pytest
import requests

from hotline.provider.rest import make_client
from sim import Sim
from sim.cli import main
from tests.support.webapp import CALLER, HOTLINE, WebApp, twiml

VOLUNTEER = "+886912000001"


def test_dial_press_speak_advance_and_poll_events(sim: Sim, web: WebApp, speech_wav: Path) -> None:
    api = sim.api_base_url + "/sim/api"
    web.route("voice", twiml('<Gather numDigits="1" action="/rec"><Say>Press 1</Say></Gather>'))
    web.route("rec", twiml('<Record action="/done" timeout="3"/>'))
    web.route("done", twiml("<Say>thank you</Say>"))
    r = requests.post(api + "/numbers", json={"phone_number": HOTLINE, "voice_url": web.url("voice")})
    assert r.status_code == 201
    call = requests.post(api + "/dial", json={"from": CALLER, "to": HOTLINE}).json()
    sid = call["sid"]
    handle = sim.handle(sid)
    handle.expect_gather()
    assert requests.post(f"{api}/calls/{sid}/press", json={"digits": "1"}).json() == {"ok": True}
    handle.expect_record()
    files = {"audio": ("note.wav", io.BytesIO(speech_wav.read_bytes()), "audio/wav")}
    assert requests.post(f"{api}/calls/{sid}/speak", files=files).status_code == 200
    assert requests.post(api + "/clock/advance", json={"seconds": 5}).json()["now"] == sim.now()
    handle.expect_say("thank you")
    handle.expect_hangup()

    first = requests.get(api + "/events", params={"since": 0, "limit": 5}).json()
    assert [e["seq"] for e in first["events"]] == [1, 2, 3, 4, 5] and first["next"] == 5
    rest = requests.get(api + "/events", params={"since": first["next"]}).json()
    kinds = [e["kind"] for e in rest["events"]]
    assert "say" in kinds and "recording" in kinds and rest["events"][0]["seq"] == 6
    again = requests.get(api + "/events", params={"since": rest["next"]}).json()
    assert again == {"events": [], "next": rest["next"]}

    detail = requests.get(f"{api}/calls/{sid}").json()
    assert detail["status"] == "completed" and any(e["kind"] == "digits" for e in detail["events"])
    log = requests.get(api + "/log").json()
    assert log["calls"][0]["sid"] == sid and log["recordings"][0]["call_sid"] == sid
    assert [e["kind"] for e in log["calls"][0]["events"]].count("webhook") == 3


def test_phone_behaviour_answer_decline_and_messages(sim: Sim, web: WebApp) -> None:
    api = sim.api_base_url + "/sim/api"
    client = make_client(sim.account_sid, sim.auth_token, sim.api_base_url)
    web.route("out", twiml("<Say>hi</Say>"))
    r = requests.post(f"{api}/phones/{VOLUNTEER}/behaviour", json={"mode": "busy"})
    assert r.json()["behaviour"] == {"mode": "busy"}
    busy = client.calls.create(to=VOLUNTEER, from_=HOTLINE, url=web.url("out"))
    assert sim.handle(busy.sid).expect_hangup() == "busy"

    requests.post(f"{api}/phones/{VOLUNTEER}/behaviour", json={"mode": "manual"})
    ringing = client.calls.create(to=VOLUNTEER, from_=HOTLINE, url=web.url("out"))
    sim.handle(ringing.sid).expect_status("ringing")
    requests.post(f"{api}/calls/{ringing.sid}/answer")
    sim.handle(ringing.sid).expect_say("hi")

    declined = client.calls.create(to=VOLUNTEER, from_=HOTLINE, url=web.url("out"))
    sim.handle(declined.sid).expect_status("ringing")
    requests.post(f"{api}/calls/{declined.sid}/decline")
    assert sim.handle(declined.sid).expect_hangup() == "busy"

    client.messages.create(to=VOLUNTEER, from_=HOTLINE, body="shift starts")
    assert requests.get(api + "/messages").json()["messages"][0]["body"] == "shift starts"
    assert len(requests.get(api + "/calls").json()["calls"]) == 3
    bad = requests.post(f"{api}/phones/{VOLUNTEER}/behaviour", json={"mode": "teleport"})
    assert bad.status_code == 400 and "teleport" in bad.json()["error"]


def test_cli_runs_standalone_and_prints_credentials(capsys: pytest.CaptureFixture[str]) -> None:
    stop = threading.Event()
    codes: list[int] = []
    argv = [
        "--port",
        "0",
        "--virtual-time",
        "--account-sid",
        "AC" + "a" * 32,
        "--auth-token",
        "secret",
        "--number",
        f"{HOTLINE}=http://127.0.0.1:9/voice",
    ]
    thread = threading.Thread(target=lambda: codes.append(main(argv, stop)), daemon=True)
    thread.start()
    out = ""
    for _ in range(100):
        out += capsys.readouterr().out
        if "base URL" in out:
            break
        stop.wait(0.05)
    base = next(line.split(": ", 1)[1] for line in out.splitlines() if "base URL" in line).strip()
    info = requests.get(base + "/sim/api/").json()
    assert info["account_sid"] == "AC" + "a" * 32 and info["virtual_time"] is True
    assert info["numbers"][0]["phone_number"] == HOTLINE
    assert "secret" in out and HOTLINE in out
    stop.set()
    thread.join(timeout=5)
    assert codes == [0]
    assert main(["--number", "bad"]) == 2


def test_rest_faults_can_be_injected_over_http(sim: Sim, web: WebApp) -> None:
    from twilio.base.exceptions import TwilioRestException

    api = sim.api_base_url + "/sim/api"
    assert requests.post(api + "/faults/calls", json={"status": 400, "code": 21211}).json() == {"ok": True}
    client = make_client(sim.account_sid, sim.auth_token, sim.api_base_url)
    with pytest.raises(TwilioRestException) as err:
        client.calls.create(to=VOLUNTEER, from_=HOTLINE, url=web.url("x"))
    assert (err.value.status, err.value.code) == (400, 21211)
    assert client.calls.create(to=VOLUNTEER, from_=HOTLINE, url=web.url("x")).sid.startswith("CA")
