"""Who may send events, and how fast: integration keys, HMAC signatures, replays, rate limits.

Signatures (only for an integration created with `--hmac`): the header

    X-Hotline-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + raw body)>

A timestamp outside `[events] signature_window_seconds` of our clock is refused, and so is a
signature seen before within that window (Redis remembers each one for the window), so a
captured request cannot be replayed. Unknown and revoked keys get the same answer; nothing
says which.

Rate limit: a fixed one-minute window per integration in Redis. When Redis is down the limit
and the replay memory are skipped (the timestamp window still holds): an alert is never
refused because a counter is unavailable.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from dataclasses import dataclass

from redis import Redis
from redis.exceptions import RedisError

log = logging.getLogger("hotline.events")
SIGNATURE_HEADER = "X-Hotline-Signature"


@dataclass(frozen=True)
class Refusal:
    status: int
    message: str
    audit_kind: str


def sign(secret: str, body: bytes, at: int | None = None) -> str:
    """The header value a sender computes (also used by the tests and the bench)."""
    at = int(time.time()) if at is None else at
    mac = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={mac}"


def check_signature(secret: str, header: str, body: bytes, window: int, redis: Redis | None,
                    now: float | None = None) -> Refusal | None:
    now = time.time() if now is None else now
    if not header.isascii():  # compare_digest refuses non-ASCII text (a 500); no signature has any
        return Refusal(401, "missing or malformed signature", "event_bad_signature")
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        at = int(parts.get("t", ""))
    except ValueError:
        return Refusal(401, "missing or malformed signature", "event_bad_signature")
    given = parts.get("v1", "")
    expected = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    if not given or not hmac.compare_digest(given, expected):
        return Refusal(401, "invalid signature", "event_bad_signature")
    if abs(now - at) > window:
        return Refusal(401, "stale timestamp", "event_stale_signature")
    if redis is not None:
        try:
            if not redis.set(f"hotline:events:seen:{given}", 1, nx=True, ex=window * 2):
                return Refusal(401, "replayed request", "event_replay")
        except RedisError as exc:
            log.warning("replay memory unavailable (%s); the timestamp window still applies", exc)
    return None


def over_limit(redis: Redis | None, integration_id: int, per_minute: int, now: float | None = None) -> bool:
    if redis is None:
        return False
    minute = int((time.time() if now is None else now) // 60)
    key = f"hotline:events:rate:{integration_id}:{minute}"
    try:
        pipe = redis.pipeline()
        pipe.incr(key)
        pipe.expire(key, 120)
        count = pipe.execute()[0]
    except RedisError as exc:
        log.warning("rate limit unavailable (%s); event let through", exc)
        return False
    return int(count) > per_minute


def bearer(authorization: str) -> str:
    """The key in `Authorization: Bearer KEY`; "" for anything else, and for non-ASCII (no key has any)."""
    if not authorization.isascii():
        return ""
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""
