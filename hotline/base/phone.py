"""Phone numbers: one place that turns what people type into E.164.

Satellite ranges (+8816, +8817) are ordinary numbers to `phonenumbers`, so they pass
like any other; short codes and partial numbers do not.
"""

from __future__ import annotations

import phonenumbers

WITHHELD = {"", "anonymous", "restricted", "unknown", "private", "unavailable", "+266696687"}


def to_e164(text: str | None, region: str = "TW") -> str | None:
    """Return `text` as E.164, or None when it is not a valid number."""
    if not text or str(text).strip().lower() in WITHHELD:
        return None
    try:
        parsed = phonenumbers.parse(str(text), region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def is_withheld(caller: str | None) -> bool:
    """Twilio sends a placeholder rather than nothing when caller ID is blocked."""
    return caller is None or str(caller).strip().lower() in WITHHELD


def spoken_digits(number: str) -> str:
    """'+886912' -> '8 8 6 9 1 2': TTS reads digits one by one, not as a large number."""
    return " ".join(ch for ch in number if ch.isdigit())
