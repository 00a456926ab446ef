"""`python run.py call`: a newcomer's first call, from a sim phone to the running hotline.

It drives the sim over its HTTP control API exactly as a browser phone would: dial, press a
type and a severity key, speak a sample report, press #; then it shows the incident and its
stored recording from the database, and follows it for a while (transcript, who is called),
so a newcomer sees the whole story, not just "recorded".
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import select

from hotline.base.config import load_config
from hotline.base.db import Database
from hotline.base.models import Call, Incident, Recording, Transcript
from hotline.base.states import RecordingStatus
from hotline.paging.models import Callout, callout_incidents

CALLER = "+886912345678"
FOLLOW_SECONDS = 20.0
SAMPLE_TEXT = "There is a fire in building three. Two people are hurt. Please send help."


class Phone:
    def __init__(self, sim_url: str, timeout: float = 30.0, token: str | None = None):
        self.api = f"{sim_url.rstrip('/')}/sim/api"
        self.headers = {"X-Sim-Token": token} if token else {}
        self.timeout = timeout
        self.cursor = 0
        self.sid = ""

    def dial(self, to: str) -> None:
        r = requests.post(f"{self.api}/dial", json={"from": CALLER, "to": to}, headers=self.headers, timeout=10)
        r.raise_for_status()
        self.sid = r.json()["sid"]

    def wait(self, kind: str) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            r = requests.get(f"{self.api}/events", params={"since": self.cursor}, headers=self.headers, timeout=10)
            for e in r.json()["events"]:
                self.cursor = max(self.cursor, e["seq"])
                if e.get("call_sid") != self.sid:
                    continue
                if e["kind"] == "say":
                    print(f"  hotline says: {e['text']}")
                if e["kind"] == kind:
                    return e
            time.sleep(0.1)
        raise TimeoutError(f"the call did not reach <{kind}> within {self.timeout}s")

    def press(self, digits: str) -> None:
        print(f"  caller presses {digits}")
        requests.post(f"{self.api}/calls/{self.sid}/press", json={"digits": digits}, headers=self.headers,
                      timeout=10).raise_for_status()

    def speak(self, wav: Path) -> None:
        print(f"  caller speaks ({wav.name})")
        with wav.open("rb") as f:
            requests.post(f"{self.api}/calls/{self.sid}/speak", files={"audio": f}, headers=self.headers,
                          timeout=30).raise_for_status()


def sample_wav(folder: Path) -> Path:
    """Synthetic speech when espeak-ng is there; else a tone, which still makes a recording."""
    path = folder / "first-call.wav"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        if shutil.which("espeak-ng"):
            subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(path), SAMPLE_TEXT], check=True)
        else:
            from sim.audio import beep_pcm, pcm_to_wav

            path.write_bytes(pcm_to_wav(beep_pcm(3.0, 440.0)))
    return path


def main(argv: list[str]) -> int:
    cfg = load_config()
    info_path = cfg.data_dir / "run.json"
    if not info_path.exists():
        print(f"The hotline is not running (no {info_path}). Start it first: python3 run.py", file=sys.stderr)
        return 1
    info = json.loads(info_path.read_text())
    if not info.get("ready"):
        print("The hotline is still starting; run this again once it prints `hotline ready`.", file=sys.stderr)
        return 1
    if not info.get("sim_url"):
        print("The hotline runs against real Twilio: call its number from a phone instead.", file=sys.stderr)
        return 1
    phone = Phone(info["sim_url"], token=info.get("sim_token"))
    print(f"Calling {cfg.numbers[0]} from {CALLER} (simulated phone)")
    phone.dial(cfg.numbers[0])
    phone.wait("gather")
    phone.press("1")  # natural disaster
    phone.wait("gather")
    phone.press("1")  # someone is hurt
    phone.wait("record")
    phone.speak(sample_wav(cfg.data_dir / "samples"))
    phone.press("#")
    phone.wait("hangup")
    db = Database(info["database_url"])
    incident_id = show_incident(db, phone.sid, cfg.recordings_dir)
    if incident_id is None:
        return 1
    follow(db, incident_id)
    print(f"\nWatch further:  python3 run.py callout list      (who is being called, per report)\n"
          f"                {info['public_url']}/console/incidents/{incident_id}   (recording, transcript, timeline)")
    return 0


def show_incident(db: Database, call_sid: str, recordings_dir: Path, timeout: float = 30.0) -> int | None:
    """Wait for the call's incident and its stored recording, print them, return the incident id."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with db.session() as s:
            call = s.scalar(select(Call).where(Call.sid == call_sid))
            inc = s.get(Incident, call.incident_id) if call and call.incident_id else None
            rec = inc and s.scalar(select(Recording).where(Recording.incident_id == inc.id,
                                                           Recording.status == RecordingStatus.STORED))
            if inc and rec:
                print(f"\nIncident {inc.ref}: {inc.type_key}, severity {inc.severity}, caller {inc.caller}")
                print(f"  recording: {rec.path} ({rec.duration:.1f}s, sha256 {(rec.sha256 or '')[:12]}…)")
                print(f"  recordings folder: {recordings_dir}")
                return inc.id
        time.sleep(0.2)
    print("The call went through, but no stored recording appeared; check the worker's log.", file=sys.stderr)
    return None


def follow(db: Database, incident_id: int, seconds: float = FOLLOW_SECONDS) -> None:
    """Print what happens next, as it happens, for a short while: the transcript's status and
    every call the callout places. Stops early once the transcript is final and someone rang."""
    seen: set[str] = set()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        lines, settled = _progress(db, incident_id)
        for line in lines:
            if line not in seen:
                seen.add(line)
                print(line, flush=True)
        if settled:
            return
        time.sleep(0.5)
    print(f"  (stopped following after {seconds:.0f} s)")


def _progress(db: Database, incident_id: int) -> tuple[list[str], bool]:
    lines: list[str] = []
    with db.session() as s:
        transcript = s.scalar(select(Transcript).join(Recording, Transcript.recording_id == Recording.id)
                              .where(Recording.incident_id == incident_id))
        if transcript is None:
            lines.append("  transcript: waiting for the transcriber")
        else:
            detail = f": {transcript.text[:80]}" if transcript.text else (
                f" ({transcript.reason})" if transcript.reason else "")
            lines.append(f"  transcript: {transcript.status}{detail}")
        callout = s.scalar(select(Callout).join(callout_incidents, callout_incidents.c.callout_id == Callout.id)
                           .where(callout_incidents.c.incident_id == incident_id))
        if callout is None:
            lines.append("  callout: not started yet")
            return lines, False
        lines.append(f"  callout {callout.id}: {callout.state}" + (" (storm: joined with other reports)"
                                                                    if callout.storm else ""))
        for a in callout.attempts:
            lines.append(f"  calling {a.person_name} ({a.phone}), round {a.round}: {a.outcome or a.state}")
        settled = transcript is not None and bool(callout.attempts)
    return lines, settled
