"""PINs for the hidden menus: stored hashed, checked in constant time, never logged or read back.

Where they come from (never from committed files): HOTLINE_ADMIN_PIN / HOTLINE_OPERATOR_PIN in
the environment, or `data/pins.json` written by `python run.py pins set admin|operator|PERSON`.
Five wrong PINs from one caller ID lock that caller out of the hidden menus for 15 minutes;
twenty from all caller IDs together lock every PIN entry for 15 minutes (the emergency menu never).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from pathlib import Path

from hotline.base.lockout import Lockout
from hotline.base.private_files import write_private

ITERATIONS = 60_000  # PINs are short: the lockout, not the hash, is what stops guessing
LOCK_ATTEMPTS = 5
LOCK_SECONDS = 15 * 60


def hash_pin(pin: str, salt: str | None = None) -> str:
    salt = salt or secrets.token_hex(8)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt.encode(), ITERATIONS).hex()
    return f"pbkdf2_sha256${ITERATIONS}${salt}${digest}"


def verify_pin(pin: str, stored: str) -> bool:
    try:
        _algo, iterations, salt, digest = stored.split("$")
        mine = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt.encode(), int(iterations)).hex()
    except ValueError:
        return False
    return hmac.compare_digest(mine, digest)


def pins_file(data_dir: Path) -> Path:
    return data_dir / "pins.json"


def load_pins(data_dir: Path, from_env: dict[str, str] | None = None) -> dict[str, str]:
    """Role or `person:KEY` -> hash. PINs from the environment (already hashed at config load) win."""
    try:
        book: dict[str, str] = json.loads(pins_file(data_dir).read_text())
    except (FileNotFoundError, ValueError):
        book = {}
    return {**book, **(from_env or {})}


def set_pin(data_dir: Path, who: str, pin: str) -> None:
    if not (pin.isdigit() and 4 <= len(pin) <= 12):
        raise ValueError("a PIN is 4 to 12 digits")
    book = load_pins(data_dir)
    book[who] = hash_pin(pin)
    write_private(pins_file(data_dir), json.dumps(book, indent=2))


def match_pin(book: dict[str, str], pin: str, person: str | None) -> str | None:
    """Which role the PIN opens: the caller's own personal PIN, then operator, then admin."""
    candidates = ([f"person:{person}"] if person else []) + ["operator", "admin"]
    for who in candidates:
        stored = book.get(who)
        if stored and verify_pin(pin, stored):
            return "staff" if who.startswith("person:") else who
    return None


GLOBAL_ATTEMPTS = 20  # wrong PINs from all caller IDs together before every PIN is refused for a while
EVERYONE = "*"

PIN_LOCKOUT = Lockout("pin", LOCK_ATTEMPTS, LOCK_SECONDS)  # per caller ID
# Caller ID is spoofable, so per-number counting alone lets a guesser rotate numbers forever.
PIN_GLOBAL = Lockout("pin-all", GLOBAL_ATTEMPTS, LOCK_SECONDS)
