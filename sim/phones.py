"""Simulated phones and how they behave when they ring or are in a call.

A behaviour decides the ring outcome (answer after N s, never, busy, failed, or wait for a
person/test to answer) and may react at input points: a scripted human presses digits at a
Gather and speaks a WAV at a Record; an answering machine plays a greeting and keeps what
it hears after the greeting as a voicemail.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sim.script import Hangup, Press, RemoteControl, Silence, Speak, Step, apply_step, parse_step

if TYPE_CHECKING:
    from sim.handle import CallHandle
    from sim.model import Call
    from sim.server import Sim


@dataclass(frozen=True)
class RingPlan:
    mode: str  # answer | never | busy | failed | manual
    after: float = 0.0


__all__ = ["Hangup", "Press", "Silence", "Speak", "Step", "apply_step", "parse_step"]


# -- behaviours ---------------------------------------------------------------------------
class Behaviour:
    name = "manual"

    def ring_plan(self) -> RingPlan:
        return RingPlan("manual")

    def amd(self, mode: str) -> tuple[str, float]:
        """(AnsweredBy, seconds detection takes) for MachineDetection `mode`."""
        return "human", 0.0

    def on_input_point(self, kind: str, call: Call, ctl: RemoteControl) -> None:
        """Called when the call reaches a <Gather> or <Record> (kind 'gather' / 'record')."""

    def on_event(self, call: Call, event: dict[str, Any]) -> None:
        """Sees every event of a call this phone is on (say, play, ...)."""

    def describe(self) -> dict[str, Any]:
        return {"mode": self.name}


class Manual(Behaviour):
    """Rings until a person or test answers/declines; no-answer after the Timeout."""


class AnswerAfter(Behaviour):
    name = "answer_after"

    def __init__(self, seconds: float) -> None:
        self.seconds = float(seconds)

    def ring_plan(self) -> RingPlan:
        return RingPlan("answer", self.seconds)

    def describe(self) -> dict[str, Any]:
        return {"mode": self.name, "seconds": self.seconds}


class NeverAnswer(Behaviour):
    name = "never"

    def ring_plan(self) -> RingPlan:
        return RingPlan("never")


class Busy(Behaviour):
    name = "busy"

    def ring_plan(self) -> RingPlan:
        return RingPlan("busy")


class Fail(Behaviour):
    name = "failed"

    def ring_plan(self) -> RingPlan:
        return RingPlan("failed")


class Voicemail(Behaviour):
    """Answering machine: answers, plays a greeting, keeps what it hears after the greeting."""

    name = "voicemail"

    def __init__(self, phone: Phone, greeting_seconds: float = 5.0, answer_after: float = 0.0) -> None:
        self.phone = phone
        self.greeting_seconds = float(greeting_seconds)
        self.answer_after = float(answer_after)

    def ring_plan(self) -> RingPlan:
        return RingPlan("answer", self.answer_after)

    def amd(self, mode: str) -> tuple[str, float]:
        if mode.lower() == "detectmessageend":
            return "machine_end_beep", self.greeting_seconds
        return "machine_start", 0.0

    def on_event(self, call: Call, event: dict[str, Any]) -> None:
        if event["kind"] == "answered":
            self.phone.voicemails.append(
                {"call_sid": call.sid, "greeting_end": event["t"] + self.greeting_seconds, "heard": []}
            )
            return
        if event["kind"] not in ("say", "play"):
            return
        for box in self.phone.voicemails:
            if box["call_sid"] == call.sid and event["t"] >= box["greeting_end"]:
                box["heard"].append(event.get("text") or event.get("url"))

    def describe(self) -> dict[str, Any]:
        return {
            "mode": self.name,
            "greeting_seconds": self.greeting_seconds,
            "answer_after": self.answer_after,
        }


class Script(Behaviour):
    """A human following steps, one consumed at each Gather/Record the call reaches."""

    name = "script"

    def __init__(self, steps: list[Any], answer_after: float = 0.0) -> None:
        self.steps = [parse_step(s) for s in steps]
        self.answer_after = float(answer_after)
        self._next: dict[str, int] = {}

    def ring_plan(self) -> RingPlan:
        return RingPlan("answer", self.answer_after)

    def on_input_point(self, kind: str, call: Call, ctl: RemoteControl) -> None:
        index = self._next.get(call.sid, 0)
        if index >= len(self.steps):
            return
        self._next[call.sid] = index + 1
        apply_step(self.steps[index], ctl)

    def describe(self) -> dict[str, Any]:
        return {"mode": self.name, "steps": [repr(s) for s in self.steps], "answer_after": self.answer_after}


# -- the phone ----------------------------------------------------------------------------
@dataclass(eq=False)
class Phone:
    """A number the simulator owns on the far side of the PSTN."""

    number: str
    sim: Sim
    behaviour: Behaviour = field(default_factory=Manual)
    messages: list[dict[str, Any]] = field(default_factory=list)
    voicemails: list[dict[str, Any]] = field(default_factory=list)
    _handed: set[str] = field(default_factory=set)
    _sms_cursor: int = 0

    # behaviour setters (chainable)
    def answer_after(self, seconds: float) -> Phone:
        return self._set(AnswerAfter(seconds))

    def never_answer(self) -> Phone:
        return self._set(NeverAnswer())

    def busy(self) -> Phone:
        return self._set(Busy())

    def fail(self) -> Phone:
        return self._set(Fail())

    def voicemail(self, greeting_seconds: float = 5.0, answer_after: float = 0.0) -> Phone:
        return self._set(Voicemail(self, greeting_seconds, answer_after))

    def script(self, steps: list[Any], answer_after: float = 0.0) -> Phone:
        return self._set(Script(steps, answer_after))

    def manual(self) -> Phone:
        return self._set(Manual())

    def _set(self, behaviour: Behaviour) -> Phone:
        with self.sim.cond:
            self.behaviour = behaviour
        return self

    def dial(self, to: str) -> CallHandle:
        """This phone calls one of the account's numbers (an inbound call to the app)."""
        return self.sim.dial(self.number, to)

    def text(self, to: str, body: str, media: list[tuple[str | bytes, str]] | None = None) -> list[str]:
        """This phone texts one of the account's numbers; returns the answers it got back. `media`:
        (url, content type), or (a photo's bytes, content type) for the sim to serve."""
        return self.sim.receive_text(self.number, to, body, media)

    # expectations
    def expect_call(self, timeout: float = 10.0) -> CallHandle:
        """Handle for the next call placed *to* this phone that was not handed out yet."""

        def find() -> Call | None:
            for call in self.sim.call_objects():
                if call.to == self.number and call.direction != "inbound" and call.sid not in self._handed:
                    return call
            return None

        call = self.sim.wait_for(find, timeout, f"a call to {self.number}")
        self._handed.add(call.sid)
        return self.sim.handle(call.sid)

    def expect_sms(self, contains: str = "", timeout: float = 10.0) -> dict[str, Any]:
        """Next message to this phone (after previously expected ones) whose body contains `contains`."""

        def find() -> dict[str, Any] | None:
            for index in range(self._sms_cursor, len(self.messages)):
                if contains.lower() in self.messages[index]["body"].lower():
                    self._sms_cursor = index + 1
                    return self.messages[index]
            return None

        return self.sim.wait_for(find, timeout, f"an SMS to {self.number} containing {contains!r}")

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "behaviour": self.behaviour.describe(),
            "messages": list(self.messages),
            "voicemails": list(self.voicemails),
        }


def behaviour_from_json(phone: Phone, spec: dict[str, Any]) -> Behaviour:
    """Build a behaviour from the control API's JSON description."""
    mode = spec.get("mode", "manual")
    if mode == "answer_after":
        return AnswerAfter(float(spec.get("seconds", 0)))
    if mode == "never":
        return NeverAnswer()
    if mode == "busy":
        return Busy()
    if mode == "failed":
        return Fail()
    if mode == "voicemail":
        return Voicemail(
            phone, float(spec.get("greeting_seconds", 5.0)), float(spec.get("answer_after", 0.0))
        )
    if mode == "script":
        return Script(list(spec.get("steps", [])), float(spec.get("answer_after", 0.0)))
    if mode == "manual":
        return Manual()
    raise ValueError(f"unknown phone mode {mode!r}")
