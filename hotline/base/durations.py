"""Durations as people write them in config.toml and plan files: "90s", "60m", "1h30m", "36h",
"90d", "12w"; one grammar for every section, so a setting reads the same wherever it is."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

UNITS = {"w": timedelta(weeks=1), "d": timedelta(days=1), "h": timedelta(hours=1), "m": timedelta(minutes=1),
         "s": timedelta(seconds=1)}
PART = re.compile(r"(\d{1,6})\s*([wdhms])")


def parse_duration(value: Any, units: str = "wdhms") -> timedelta:
    """A positive duration from "<number><unit>" parts, units among `units` (a section may refuse
    some: "3m" for a retention period could be read as months, so retention takes w, d, h only);
    ValueError for anything else, zero included (the caller names the key and the fix)."""
    if not isinstance(value, str) or not re.fullmatch(rf"\s*(?:\d{{1,6}}\s*[{units}]\s*)+", value):
        raise ValueError(f"not a duration: {value!r}")
    span = sum((int(n) * UNITS[unit] for n, unit in PART.findall(value)), timedelta(0))
    if span <= timedelta(0):
        raise ValueError(f"not a duration: {value!r}")
    return span
