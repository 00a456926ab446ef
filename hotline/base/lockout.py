"""Failure throttles in Redis: growing delays, not hard locks, so that every process sees the same
count and an outsider cannot lock the rightful user out for long.

Used for the phone's PINs (per caller ID, and per PIN guessed) and console logins (per user name
and address together, and per address). Why delays and not a lockout: a lock an attacker can
trigger (wrong guesses from a spoofed caller ID, or under someone's user name) is a tool for
keeping responders out during a crisis. A throttle lets the first `free` failures through at
once; each failure after them starts a delay (doubling from `base` up to `cap` seconds) during
which that source or target is not checked at all. The count ends `window` seconds after the
last failure; a success ends it at once.

Why a reservation and not a check-then-count: the try is counted before the guess is checked,
in one Lua script, so concurrent guesses cannot slip between the check and the count (the old
lockout let 23-26 concurrent guesses through a limit of 20). A try that turns out right is
refunded (`succeeded`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from redis import Redis

from hotline.base.metrics import LOCKOUTS

# KEYS[1]: the hash for one scope+who. ARGV: now (ms), free, base (ms), cap (ms), window (s).
# Returns {0, n} when the try may go ahead (n = its number in the count), {wait_ms, n} when not.
_TRY = """
local now, free, base, cap, window = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]),
    tonumber(ARGV[4]), tonumber(ARGV[5])
local till = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
local n = tonumber(redis.call('HGET', KEYS[1], 'n') or '0')
if now < till then
  return {till - now, n}
end
n = n + 1
redis.call('HSET', KEYS[1], 'n', n)
if n >= free then
  local delay = math.min(cap, base * (2 ^ math.min(n - free, 30)))
  redis.call('HSET', KEYS[1], 'until', now + delay)
end
redis.call('EXPIRE', KEYS[1], window)
return {0, n}
"""

# A right guess gives its try back (the count may have started a delay for the ones after it:
# that delay stands, since another try may have been a wrong guess meanwhile).
_REFUND = """
local n = tonumber(redis.call('HGET', KEYS[1], 'n') or '0')
if n > 0 then redis.call('HSET', KEYS[1], 'n', n - 1) end
return n
"""


@dataclass(frozen=True)
class Try:
    """One reserved try: `allowed` says whether the guess may be checked now."""

    allowed: bool
    number: int  # this try's number in the count (or the count so far, when refused)
    wait_seconds: float = 0.0

    @property
    def delayed(self) -> bool:
        return not self.allowed


@dataclass(frozen=True)
class Throttle:
    scope: str  # "pin-source", "pin-target", "login-user-addr", "login-addr"
    free: int = 5  # failures let through at once; the `free`-th starts the first delay
    base: float = 30.0  # seconds: the first delay, doubled for each failure after it
    cap: float = 15 * 60.0  # seconds: the longest delay
    window: int = 60 * 60  # seconds after the last failure when the count ends

    def key(self, who: str | None) -> str:
        return f"hotline:throttle:{self.scope}:{who or 'anonymous'}"

    def attempt(self, redis: Redis, who: str | None, now: float | None = None) -> Try:
        """Reserve a try for `who`, atomically: allowed, or refused with how long to wait."""
        now_ms = int((time.time() if now is None else now) * 1000)
        wait_ms, n = redis.eval(_TRY, 1, self.key(who), now_ms, self.free, int(self.base * 1000),
                                int(self.cap * 1000), self.window)
        if int(wait_ms) > 0:
            return Try(False, int(n), int(wait_ms) / 1000)
        if int(n) == self.free:
            LOCKOUTS.labels(scope=self.scope).inc()  # this try starts the delays
        return Try(True, int(n))

    def starts_delay(self, t: Try) -> bool:
        """True for the try that started the delays (`free`-th): the moment to warn someone."""
        return t.allowed and t.number == self.free

    def succeeded(self, redis: Redis, who: str | None) -> None:
        """A right guess: the count for this source ends."""
        redis.delete(self.key(who))

    def refund(self, redis: Redis, who: str | None) -> None:
        """A right guess against a shared target: its try is given back, the others' stay counted."""
        redis.eval(_REFUND, 1, self.key(who))

    def delayed(self, redis: Redis, who: str | None, now: float | None = None) -> float:
        """Seconds until `who` may try again (0: now). Reads only; counts nothing."""
        until = redis.hget(self.key(who), "until")
        now_ms = int((time.time() if now is None else now) * 1000)
        return max(0, int(until or 0) - now_ms) / 1000 if until else 0.0
