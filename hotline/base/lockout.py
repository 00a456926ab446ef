"""Failure counters with a lockout, in Redis: so every process sees the same count.

Used for the phone's PINs (per caller ID, and across all caller IDs, since caller ID is spoofable)
and console logins (per user name and per address). A lockout is a key with a TTL: it ends by itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from redis import Redis

from hotline.base.metrics import LOCKOUTS


@dataclass(frozen=True)
class Lockout:
    scope: str  # "pin", "pin-all", "login-user", "login-addr"
    attempts: int = 5
    seconds: int = 15 * 60

    def _key(self, who: str | None) -> str:
        return f"hotline:lockout:{self.scope}:{who or 'anonymous'}"

    def is_locked(self, redis: Redis, who: str | None) -> bool:
        return bool(redis.exists(self._key(who) + ":locked"))

    def failed(self, redis: Redis, who: str | None) -> bool:
        """Count a failure; True exactly when this one starts a lockout."""
        key = self._key(who)
        count = redis.incr(key)
        redis.expire(key, self.seconds)
        if int(count) >= self.attempts:
            redis.set(key + ":locked", "1", ex=self.seconds)
            redis.delete(key)
            LOCKOUTS.labels(scope=self.scope).inc()
            return True
        return False

    def succeeded(self, redis: Redis, who: str | None) -> None:
        redis.delete(self._key(who))
