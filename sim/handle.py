"""Script-like test API for one call, seen from the phone's end of the line.

Each `expect_*` waits (bounded, in real time) for the next matching event after the
handle's cursor and moves the cursor past it, so a repeated prompt can be expected again.
If the call ends without the event, it fails at once instead of waiting out the timeout.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.callstate import is_final

if TYPE_CHECKING:
    from sim.model import Call
    from sim.server import Sim

Event = dict[str, Any]


class CallHandle:
    def __init__(self, sim: Sim, call: Call) -> None:
        self.sim = sim
        self.call = call
        self.cursor = 0

    def __repr__(self) -> str:
        return f"<CallHandle {self.sid} {self.call.from_}->{self.call.to} {self.status}>"

    # -- state ------------------------------------------------------------------------------
    @property
    def sid(self) -> str:
        return self.call.sid

    @property
    def status(self) -> str:
        return self.call.status.value

    @property
    def events(self) -> list[Event]:
        with self.sim.cond:
            return list(self.call.events)

    def said(self) -> list[str]:
        return [e["text"] for e in self.events if e["kind"] == "say"]

    def webhooks(self, purpose: str | None = None) -> list[Event]:
        return [
            e for e in self.events if e["kind"] == "webhook" and (purpose is None or e["purpose"] == purpose)
        ]

    def to_json(self) -> dict[str, Any]:
        with self.sim.cond:
            return dict(self.call.to_json(), events=list(self.call.events))

    # -- actions -------------------------------------------------------------------------------
    def press(self, digits: str) -> CallHandle:
        self.sim.press(self.sid, digits)
        return self

    def speak(self, audio: str | Path | bytes) -> CallHandle:
        self.sim.speak(self.sid, audio)
        return self

    def hangup(self) -> CallHandle:
        self.sim.hangup(self.sid)
        return self

    def answer(self) -> CallHandle:
        self.sim.answer(self.sid)
        return self

    def decline(self) -> CallHandle:
        """Reject while ringing; the caller's side sees `busy` (see sim/ringing.py)."""
        self.sim.decline(self.sid)
        return self

    # -- expectations -----------------------------------------------------------------------------
    def expect(
        self,
        kind: str,
        match: Callable[[Event], bool] = lambda e: True,
        timeout: float = 10.0,
        what: str = "",
    ) -> Event:
        label = what or kind

        def find() -> Event | None:
            events = self.call.events
            for index in range(self.cursor, len(events)):
                if events[index]["kind"] == kind and match(events[index]):
                    self.cursor = index + 1
                    return events[index]
            if is_final(self.call.status):
                raise AssertionError(
                    f"call {self.sid} ended ({self.status}) without {label}; said so far: {self.said()}"
                )
            return None

        return self.sim.wait_for(find, timeout, f"{label} on call {self.sid} (said: {self.said()})")

    def expect_say(self, text: str, timeout: float = 10.0) -> Event:
        needle = text.lower()
        return self.expect(
            "say", lambda e: needle in e["text"].lower(), timeout, f"<Say> containing {text!r}"
        )

    def expect_play(self, substr: str | None = None, timeout: float = 10.0) -> Event:
        return self.expect(
            "play", lambda e: substr is None or substr in e["url"], timeout, f"<Play> {substr or ''}"
        )

    def expect_gather(self, timeout: float = 10.0) -> Event:
        return self.expect("gather", timeout=timeout, what="<Gather>")

    def expect_record(self, timeout: float = 10.0) -> Event:
        return self.expect("record", timeout=timeout, what="<Record>")

    def expect_dial(self, timeout: float = 10.0) -> Event:
        return self.expect("dial", timeout=timeout, what="<Dial>")

    def expect_hangup(self, timeout: float = 10.0) -> str:
        """Wait until the call is over; returns its final status."""
        self.sim.wait_for(
            lambda: True if is_final(self.call.status) else None, timeout, f"end of call {self.sid}"
        )
        return self.status

    def expect_status(self, status: str, timeout: float = 10.0) -> str:
        self.sim.wait_for(
            lambda: True if self.status == status else None, timeout, f"{self.sid} to be {status}"
        )
        return self.status
