"""Scripted humans: the steps a Script phone takes, one at each Gather/Record it reaches.

Steps can be objects (Press("1"), Speak("fire.wav", then="#"), Hangup(), Silence()),
plain strings ("1", "hangup", "silence") or JSON dicts from the control API
({"press": "1"}, {"speak": "path.wav", "then": "hangup"}, {"hangup": true}).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol


class RemoteControl(Protocol):
    """What a behaviour may do to the call it is on (implemented by the call runner)."""

    def press(self, digits: str) -> None: ...

    def speak(self, audio: str | Path | bytes) -> None: ...

    def hangup(self) -> None: ...


@dataclass(frozen=True)
class Press:
    digits: str


@dataclass(frozen=True)
class Speak:
    audio: str
    then: str = "#"  # a key to press afterwards, "hangup", or "silence" (let the timeout end it)


@dataclass(frozen=True)
class Hangup:
    pass


@dataclass(frozen=True)
class Silence:
    pass


Step = Press | Speak | Hangup | Silence


def parse_step(raw: Any) -> Step:
    """Accept step objects, plain strings ("1", "hangup") or JSON dicts from the control API."""
    if isinstance(raw, (Press, Speak, Hangup, Silence)):
        return raw
    if isinstance(raw, str):
        if raw.lower() == "hangup":
            return Hangup()
        if raw.lower() == "silence":
            return Silence()
        return Press(raw)
    if isinstance(raw, dict):
        if "press" in raw:
            return Press(str(raw["press"]))
        if "speak" in raw:
            return Speak(str(raw["speak"]), str(raw.get("then", "#")))
        if raw.get("hangup"):
            return Hangup()
        if raw.get("silence"):
            return Silence()
    raise ValueError(f"not a script step: {raw!r}")


def apply_step(step: Step, ctl: RemoteControl) -> None:
    if isinstance(step, Press):
        ctl.press(step.digits)
    elif isinstance(step, Speak):
        ctl.speak(step.audio)
        if step.then == "hangup":
            ctl.hangup()
        elif step.then != "silence":
            ctl.press(step.then)
    elif isinstance(step, Hangup):
        ctl.hangup()
