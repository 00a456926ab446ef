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

While Redis is away (refused, or not answering: `hotline.base.redis_reach`), each process counts
in its own memory instead, with the same rules, and Redis's counts take over again once it
answers. So the rightful operator still gets into the relay menu during an outage, which is when
it is needed, and guessing is still throttled: a few more free guesses (one allowance per web
process) for as long as the outage lasts, never the open door a check that fails open would be,
nor the closed one that would keep every PIN holder out.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from redis import Redis
from redis.exceptions import RedisError

from hotline.base.metrics import LOCKOUTS
from hotline.base.redis_reach import check_reachable, note_failure

log = logging.getLogger("hotline.lockout")
T = TypeVar("T")
LOCAL_ROWS = 10_000  # counts kept in memory before those whose window has ended are dropped

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
        key, args = self.key(who), (now_ms, self.free, int(self.base * 1000), int(self.cap * 1000), self.window)
        wait_ms, n = shared_or_local(lambda: redis.eval(_TRY, 1, key, *args), lambda: _LOCAL.attempt(key, *args))
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
        key = self.key(who)
        _LOCAL.forget(key)
        shared_or_local(lambda: redis.delete(key), lambda: 0)

    def refund(self, redis: Redis, who: str | None) -> None:
        """A right guess against a shared target: its try is given back, the others' stay counted."""
        key = self.key(who)
        shared_or_local(lambda: redis.eval(_REFUND, 1, key), lambda: _LOCAL.refund(key))

    def delayed(self, redis: Redis, who: str | None, now: float | None = None) -> float:
        """Seconds until `who` may try again (0: now). Reads only; counts nothing."""
        key = self.key(who)
        until = shared_or_local(lambda: redis.hget(key, "until"), lambda: _LOCAL.until(key))
        now_ms = int((time.time() if now is None else now) * 1000)
        return max(0, int(until or 0) - now_ms) / 1000 if until else 0.0


def shared_or_local(shared: Callable[[], T], local: Callable[[], T]) -> T:
    """`shared()` against Redis; `local()` when Redis refuses, fails, or did not answer moments ago."""
    try:
        check_reachable()
        return shared()
    except (RedisError, OSError) as exc:
        note_failure(exc)
        log.warning("throttle counts kept in this process's memory: Redis is not answering (%s)", exc)
        return local()


class _LocalCounts:
    """The Lua scripts' rules over this process's memory: the counts while Redis is away."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rows: dict[str, tuple[int, int, float]] = {}  # key -> (count, until ms, ends at ms)

    def attempt(self, key: str, now_ms: int, free: int, base_ms: int, cap_ms: int, window: int) -> tuple[int, int]:
        with self._lock:
            n, till, ends = self._rows.get(key, (0, 0, 0.0))
            if ends <= now_ms:  # the window since the last failure has passed (Redis: EXPIRE)
                n, till = 0, 0
            if now_ms < till:
                return till - now_ms, n
            n += 1
            if n >= free:
                till = now_ms + int(min(cap_ms, base_ms * 2 ** min(n - free, 30)))
            if len(self._rows) >= LOCAL_ROWS:  # a long outage under many spoofed numbers: keep what counts
                self._rows = {k: row for k, row in self._rows.items() if row[2] > now_ms}
            self._rows[key] = (n, till, now_ms + window * 1000)
            return 0, n

    def refund(self, key: str) -> int:
        with self._lock:
            n, till, ends = self._rows.get(key, (0, 0, 0.0))
            if n > 0:
                self._rows[key] = (n - 1, till, ends)
            return n

    def until(self, key: str) -> int | None:
        with self._lock:
            row = self._rows.get(key)
            return row[1] if row else None

    def forget(self, key: str | None = None) -> None:
        with self._lock:
            if key is None:
                self._rows.clear()
            else:
                self._rows.pop(key, None)


_LOCAL = _LocalCounts()


def forget_local() -> None:
    """Drop every count kept in memory (a test that ends its own Redis outage)."""
    _LOCAL.forget()
