"""What the far end of a call can do: press keys, speak, hang up, answer, decline.

Tests (through CallHandle), the control API and scripted phone behaviours all act through
these methods, which queue the input on the call and log an event (waking the call).
"""

from __future__ import annotations

import threading
from pathlib import Path

from sim import audio
from sim.callstate import is_final
from sim.masking import mask
from sim.model import Call, Clip

AudioInput = str | Path | bytes


class SimError(RuntimeError):
    """Misuse of the simulator (unknown number, unknown call...)."""


class _Remote:
    """RemoteControl for phone behaviours: the same actions a test takes through a handle."""

    def __init__(self, sim: RemoteParty, sid: str) -> None:
        self.sim, self.sid = sim, sid

    def press(self, digits: str) -> None:
        self.sim.press(self.sid, digits)

    def speak(self, audio_in: AudioInput) -> None:
        self.sim.speak(self.sid, audio_in)

    def hangup(self) -> None:
        self.sim.hangup(self.sid)


class RemoteParty:
    """Mixin for Sim: the remote party's actions on a call, by SID."""

    cond: threading.Condition

    def _call(self, sid: str) -> Call:  # provided by Sim
        raise NotImplementedError

    def log_event(self, call: Call, kind: str, **fields: object) -> dict[str, object]:  # provided by Sim
        raise NotImplementedError

    def press(self, sid: str, digits: str) -> None:
        with self.cond:
            call = self._call(sid)
            for key in digits:
                if key in "0123456789*#":
                    call.inputs.append(("dtmf", key))
                elif key.lower() == "w":
                    continue  # Twilio's half-second wait in SendDigits; no effect on input order
                else:
                    raise SimError(f"not a DTMF key: {key!r}")
            call.input_count += 1
            self.log_event(call, "digits", digits=mask(digits) if call.secret_input else digits)

    def speak(self, sid: str, audio_in: AudioInput) -> None:
        data = audio_in if isinstance(audio_in, bytes) else Path(audio_in).read_bytes()
        name = "" if isinstance(audio_in, bytes) else str(audio_in)
        wav = audio.normalize(data)
        clip = Clip(wav, audio.duration(wav), name)
        with self.cond:
            call = self._call(sid)
            call.inputs.append(("audio", clip))
            call.spoken.append(clip)
            call.input_count += 1
            self.log_event(call, "speech", audio=name, duration=round(clip.duration, 2))

    def hangup(self, sid: str) -> None:
        with self.cond:
            call = self._call(sid)
            if not is_final(call.status) and not call.remote_hangup:
                call.remote_hangup = True
                self.log_event(call, "remote_hangup")

    def answer(self, sid: str) -> None:
        with self.cond:
            call = self._call(sid)
            call.answer_requested = True
            self.log_event(call, "answer_requested")

    def decline(self, sid: str) -> None:
        with self.cond:
            call = self._call(sid)
            call.decline_requested = True
            self.log_event(call, "decline_requested")

    def remote_control(self, sid: str) -> _Remote:
        return _Remote(self, sid)
