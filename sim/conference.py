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
    run.log("conference_join", name=name, conference_sid=room.sid)
    if starting:
        _notify(run, room, callback, method, events, "start", "conference-start")
    _notify(run, room, callback, method, events, "join", "participant-join")
    run.wait(None)  # in the room until this call hangs up or is ended
    with run.sim.cond:
        if run.call.sid in room.participants:
            room.participants.remove(run.call.sid)
        ending = not room.participants
        if ending:
            room.status = "completed"
    run.log("conference_leave", name=name, conference_sid=room.sid)
    _notify(run, room, callback, method, events, "leave", "participant-leave")
    if ending:
        _notify(run, room, callback, method, events, "end", "conference-end")
    run.check()


def _notify(run: CallRunner, room: Conference, url: str | None, method: str, wanted: set[str], event: str,
            name: str) -> None:
    if not url or event not in wanted:
        return
    with run.sim.cond:
        room.seq += 1
        params = {"AccountSid": run.sim.account_sid, "ConferenceSid": room.sid, "FriendlyName": room.name,
                  "StatusCallbackEvent": name, "SequenceNumber": str(room.seq),
                  "Timestamp": rfc2822(run.now()) or ""}
    if event in ("join", "leave"):
        params["CallSid"] = run.call.sid
    run.post(url, method, params, f"conference:{event}")
