"""PINs for the hidden menus: stored hashed, checked in constant time, never logged or read back.

Where they come from (never from committed files): HOTLINE_ADMIN_PIN / HOTLINE_OPERATOR_PIN in
the environment, or `data/pins.json` written by `python run.py pins set admin|operator|PERSON`.

Guessing is throttled, never locked (see lockout.py and the README's Security section): per caller
ID (PIN_SOURCE) and per PIN guessed at (PIN_TARGET), with growing delays. A caller ID that has
entered a PIN right before skips that PIN's target throttle (only its own source throttle counts),
so an outsider keeping the admin PIN's delay running does not keep the admin out. New PINs are at
least 6 digits; a shorter one still opens its menu but is reported each time it is used.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from pathlib import Path

from redis import Redis

from hotline.base.lockout import Throttle, shared_or_local
from hotline.base.private_files import write_private

ITERATIONS = 60_000  # PINs are short: the throttle, not the hash, is what stops guessing
MIN_DIGITS = 6  # new PINs; a million PINs against the target throttle's ~1,500 guesses a day
MAX_DIGITS = 12
SHORT_PIN_FIX = f"use {MIN_DIGITS} to {MAX_DIGITS} digits"


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
    if not valid_new_pin(pin):
        raise ValueError(f"a PIN is {MIN_DIGITS} to {MAX_DIGITS} digits")
    book = load_pins(data_dir)
    book[who] = hash_pin(pin)
    write_private(pins_file(data_dir), json.dumps(book, indent=2))


def valid_new_pin(pin: str) -> bool:
    return pin.isdigit() and MIN_DIGITS <= len(pin) <= MAX_DIGITS


DRILL = "drill"  # `run.py pins set drill`: a full-scale drill's test caller enters it at the hidden menu


def targets(book: dict[str, str], person: str | None, drill: bool = False) -> list[str]:
    """The PINs one guess is checked against, in order: the caller's own, operator, admin (and,
    in the caller's menu, the drill PIN)."""
    names = ([f"person:{person}"] if person else []) + ["operator", "admin"] + ([DRILL] if drill else [])
    return [who for who in names if book.get(who)]


def match_pin(book: dict[str, str], pin: str, person: str | None, among: list[str] | None = None) -> str | None:
    """Which PIN (`targets` name) this one is, checked only against `among` (default: all of them)."""
    for who in targets(book, person) if among is None else among:
        stored = book.get(who)
        if stored and verify_pin(pin, stored):
            return who
    return None


def role_of(target: str) -> str:
    return "staff" if target.startswith("person:") else target


# Per caller ID: 5 wrong PINs at once, then 30 s, 60 s, ... up to 10 minutes between tries.
PIN_SOURCE = Throttle("pin-source", free=5, base=30, cap=10 * 60, window=60 * 60)
# Per PIN (admin, operator, each person's), from all caller IDs together, since caller ID is
# spoofable: 50 wrong guesses a day at once, then 10 s, 20 s, ... up to 1 minute between guesses.
# At most about 50 + 1,440 guesses a day at one PIN: a 6-digit PIN holds for years on average.
PIN_TARGET = Throttle("pin-target", free=50, base=10, cap=60, window=24 * 60 * 60)
KNOWN_SECONDS = 30 * 24 * 60 * 60


def _known_key(target: str, source: str | None) -> str:
    return f"hotline:pin-known:{target}:{source or 'anonymous'}"


def known_source(redis: Redis, target: str, source: str | None) -> bool:
    """Has this caller ID entered this PIN right in the last 30 days? (withheld numbers never are)
    While Redis is away, only what this process has seen since counts (hotline.base.lockout)."""
    if not source:
        return False
    key = _known_key(target, source)
    return bool(shared_or_local(lambda: redis.exists(key), lambda: key in _known_here))


def remember_source(redis: Redis, target: str, source: str | None) -> None:
    if source:
        key = _known_key(target, source)
        _known_here.add(key)
        shared_or_local(lambda: redis.set(key, "1", ex=KNOWN_SECONDS), lambda: None)


_known_here: set[str] = set()  # this process's right entries, for while Redis is away
