"""Phone-number rules: what counts as a dialable number, and withheld caller ID.

Since May 2023 Twilio puts `anonymous` in From (and Caller) when the caller withholds
their number, so a missing/withheld caller becomes that literal string.
"""

from __future__ import annotations

import re

import phonenumbers

ANONYMOUS = "anonymous"
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_WITHHELD = {"", "anonymous", "restricted", "unknown", "private", "unavailable"}


def is_valid_number(value: str) -> bool:
    """E.164 and a possible number for its country (lenient: test ranges like 555 pass)."""
    if not _E164.match(value or ""):
        return False
    try:
        return phonenumbers.is_possible_number(phonenumbers.parse(value, None))
    except phonenumbers.NumberParseException:
        return False


def normalize_caller(value: str | None) -> str:
    if value is None or value.strip().lower() in _WITHHELD:
        return ANONYMOUS
    return value.strip()
