"""Server-side session records, so logging out (or a password change) really ends a session.

Flask's session is a signed cookie: on its own, a copy taken before logout keeps working until it
expires. Each login therefore gets a random id stored in Redis for the session's lifetime; a
cookie whose id is not there is no session. Logout deletes the id. A password change makes the
credential fingerprint in the cookie stale (see auth.current_viewer), which deletes the id too.
"""

from __future__ import annotations

import secrets
from typing import cast

from redis import Redis

PREFIX = "hotline:console:session:"


def start(redis: Redis, user: str, seconds: int) -> str:
    sid = secrets.token_urlsafe(24)
    redis.set(PREFIX + sid, user, ex=seconds)
    return sid


def alive(redis: Redis, sid: object, user: str) -> bool:
    if not isinstance(sid, str) or not sid:
        return False
    value = cast(bytes | None, redis.get(PREFIX + sid))  # no Redis client of ours decodes responses
    return value is not None and value.decode() == user


def end(redis: Redis, sid: object) -> None:
    if isinstance(sid, str) and sid:
        redis.delete(PREFIX + sid)
