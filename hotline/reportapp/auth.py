"""Device tokens and enrolment links: random, shown once, stored only as a SHA-256 digest (a
token is 256 random bits, so a plain digest is enough: nothing to guess, nothing to salt)."""

from __future__ import annotations

import hashlib
import secrets

BEARER = "Bearer "


def new_token() -> str:
    return secrets.token_urlsafe(32)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def bearer(header: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header."""
    if not header or not header.startswith(BEARER):
        return None
    token = header[len(BEARER):].strip()
    return token if 20 <= len(token) <= 100 else None
