"""Outbound SMS as the carrier and Twilio's limits see it: a messages-per-second limit, and what
happens to a message after Twilio sent it (delivered, or undelivered/failed with an error code).

- `per_second`: Messages.create requests beyond this many in any second (wall-clock time: a
  provider's limit does not follow the virtual clock) are refused as Twilio refuses them, HTTP
  429 with error 20429 "Too Many Requests". None: no limit (the default).
- `outcomes`: per destination number, the final status its messages reach: "delivered" (the
  default), "undelivered" (error 30003, unreachable handset) or "failed" (30008, unknown error).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field

ERRORS = {"undelivered": (30003, "Unreachable destination handset"), "failed": (30008, "Unknown error")}
OUTCOMES = ("delivered", *ERRORS)


@dataclass
class MessageRules:
    per_second: float | None = None
    outcomes: dict[str, str] = field(default_factory=dict)
    refused: int = 0  # requests refused with 429 so far
    _times: deque[float] = field(default_factory=deque, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def admit(self) -> bool:
        """True if a Messages.create may go through now; False means 429 / 20429."""
        if self.per_second is None:
            return True
        now = time.monotonic()
        with self._lock:
            while self._times and self._times[0] <= now - 1.0:
                self._times.popleft()
            if len(self._times) >= self.per_second:
                self.refused += 1
                return False
            self._times.append(now)
            return True

    def final(self, to: str) -> tuple[str, int | None, str | None]:
        """(status, ErrorCode, ErrorMessage) a message to `to` ends in."""
        outcome = self.outcomes.get(to, "delivered")
        code, message = ERRORS.get(outcome, (None, None))
        return outcome, code, message

    def configure(self, per_second: float | None = None, outcomes: dict[str, str] | None = None) -> None:
        for number, outcome in (outcomes or {}).items():
            if outcome not in OUTCOMES:
                raise ValueError(f"outcome for {number} must be one of {', '.join(OUTCOMES)}")
        with self._lock:
            self.per_second = per_second
            self.outcomes.update(outcomes or {})
            self._times.clear()

    def to_json(self) -> dict[str, object]:
        return {"per_second": self.per_second, "outcomes": dict(self.outcomes), "refused": self.refused}
