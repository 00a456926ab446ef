"""<Dial><Conference>: named rooms that calls join and leave, with Twilio's status callbacks.

Enough of Twilio's conferences to test a crisis bridge: a call that reaches
`<Dial><Conference statusCallback=... statusCallbackEvent="start end join leave">NAME</Conference>`
joins room NAME (created on first join, `conference-start`); it stays until it hangs up or is
ended by the API, then leaves (`participant-leave`; the last one out ends the room,
`conference-end`). Callbacks carry ConferenceSid, FriendlyName, CallSid, StatusCallbackEvent,
SequenceNumber and Timestamp, as Twilio's do. The REST and control APIs list the rooms and who
is in them. Muting, hold music, waitUrl and startConferenceOnEnter are not simulated (a room
starts when its first participant joins).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sim.model import new_sid, rfc2822
from sim.signing import resolve
from sim.twiml import Verb

if TYPE_CHECKING:
    from sim.runner import CallRunner
    from sim.server import Sim


@dataclass
class Conference:
    name: str
    sid: str = field(default_factory=lambda: new_sid("CF"))
    status: str = "init"  # init | in-progress | completed
    participants: list[str] = field(default_factory=list)  # CallSids in the room now
    seq: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"sid": self.sid, "friendly_name": self.name, "status": self.status,
                "participants": list(self.participants)}


def rooms(sim: Sim) -> dict[str, Conference]:
    """The simulator's conferences by name (live ones; a finished room is kept until reused)."""
    with sim.cond:
        return sim.__dict__.setdefault("_conferences", {})


def listing(sim: Sim) -> list[dict[str, Any]]:
    with sim.cond:
        return [c.to_json() for c in rooms(sim).values()]


def join(run: CallRunner, noun: Verb) -> None:
    """The call is in the room until it ends; then the Dial's action, if any, is requested."""
    name = noun.text.strip()
    callback = resolve(run.doc_url, noun.attrs["statusCallback"]) if noun.attr("statusCallback") else None
    method = noun.attr("statusCallbackMethod", "POST") or "POST"
    events = set((noun.attr("statusCallbackEvent") or "").replace(",", " ").split())
    with run.sim.cond:
        table = rooms(run.sim)
        room = table.get(name)
        if room is None or room.status == "completed":
            room = table[name] = Conference(name)
        starting = room.status == "init"
        room.status = "in-progress"
        room.participants.append(run.call.sid)
        joined = _stamp(run, room, callback, events, ["start"] * starting + ["join"])
    run.log("conference_join", name=name, conference_sid=room.sid)
    _post(run, callback, method, joined)
    run.wait(None)  # in the room until this call hangs up or is ended
    with run.sim.cond:
        if run.call.sid in room.participants:
            room.participants.remove(run.call.sid)
        ending = not room.participants
        if ending:
            room.status = "completed"
        left = _stamp(run, room, callback, events, ["leave"] + ["end"] * ending)
    run.log("conference_leave", name=name, conference_sid=room.sid)
    _post(run, callback, method, left)
    run.check()


NAMES = {"start": "conference-start", "end": "conference-end", "join": "participant-join",
         "leave": "participant-leave"}


def _stamp(run: CallRunner, room: Conference, url: str | None, wanted: set[str],
           happened: list[str]) -> list[tuple[str, dict[str, str]]]:
    """The callbacks for what just happened, numbered in the same locked step as the change
    itself: calls joining at once post from their own threads, and SequenceNumber must still
    say who was first. Called with the simulator's lock held."""
    if not url:
        return []
    stamped = []
    for event in (e for e in happened if e in wanted):
        room.seq += 1
        params = {"AccountSid": run.sim.account_sid, "ConferenceSid": room.sid, "FriendlyName": room.name,
                  "StatusCallbackEvent": NAMES[event], "SequenceNumber": str(room.seq),
                  "Timestamp": rfc2822(run.now()) or ""}
        if event in ("join", "leave"):
            params["CallSid"] = run.call.sid
        stamped.append((event, params))
    return stamped


def _post(run: CallRunner, url: str | None, method: str, stamped: list[tuple[str, dict[str, str]]]) -> None:
    for event, params in stamped:
        run.post(url or "", method, params, f"conference:{event}")
