"""Secret keypad entries (PINs) never appear in the sim's event feed, call log or webhook log.

Twilio has no marker for a secret <Gather>, so the sim uses a convention the app opts into: a
<Gather> whose action URL carries the query parameter `secret=1`. While such a Gather runs, key
presses are logged masked; keys typed ahead (before the Gather started) are masked once it
consumes them; its `gather_result` and the `Digits` of its webhook are masked too.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

MASK = "•"


def mask(digits: str) -> str:
    return MASK * len(digits)


def is_secret(action_url: str | None) -> bool:
    return parse_qs(urlsplit(action_url or "").query).get("secret") == ["1"]


def masked_fields(kind: str, fields: dict[str, Any]) -> dict[str, Any]:
    """The event's fields with any digits masked (called while a secret Gather runs)."""
    out = dict(fields)
    if kind in ("digits", "gather_result") and isinstance(out.get("digits"), str):
        out["digits"] = mask(out["digits"])
    if kind == "webhook" and isinstance(out.get("params"), dict) and "Digits" in out["params"]:
        out["params"] = {**out["params"], "Digits": mask(str(out["params"]["Digits"]))}
    return out


def mask_typed_ahead(events: list[dict[str, Any]], keys: int) -> None:
    """Mask the last `keys` keys pressed (the ones a secret Gather consumed), newest first.
    Events are shared with the sim-wide feed, so this masks them there too. Hold `sim.cond`."""
    for event in reversed(events):
        if keys <= 0:
            return
        if event.get("kind") == "digits" and isinstance(event.get("digits"), str):
            event["digits"] = mask(event["digits"])  # already masked if pressed during the Gather
            keys -= len(event["digits"])
