"""Integrations: who may send events, each with a key shown once and stored as its SHA-256.

A key is 32 random hex characters, the length of an Events API v2 routing key, so client
libraries that check its length accept it. Rotating replaces the key at once (the old one stops
working); revoking keeps the row (the audit timeline still names it) but no key opens it.
Optional HMAC: a second secret, shown once, that signs each request body (see
`hotline.events.auth`); it is kept as written, because verifying a signature needs it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.base import audit
from hotline.base.models import utcnow
from hotline.events.models import Integration


class IntegrationError(ValueError):
    pass


@dataclass(frozen=True)
class Credentials:
    """What `add` and `rotate` show once and never again."""

    name: str
    key: str
    hmac_secret: str | None


@dataclass(frozen=True)
class Known:
    """An integration a request proved to be, as plain data for the channel and the lifecycle."""

    id: int
    name: str
    type_key: str
    hmac_secret: str | None


def hash_key(key: str) -> str:
    return hashlib.sha256(key.strip().encode()).hexdigest()


def new_key() -> str:
    return secrets.token_hex(16)


def add(s: Session, name: str, type_key: str, with_hmac: bool, actor: str) -> Credentials:
    if not name or len(name) > 64 or not name.replace("_", "").replace("-", "").replace(".", "").isalnum():
        raise IntegrationError("name it with letters, digits, '.', '_' or '-' (up to 64)")
    if s.scalar(select(Integration.id).where(Integration.name == name)) is not None:
        raise IntegrationError(f"an integration named {name!r} exists; rotate or revoke it instead")
    key = new_key()
    secret = secrets.token_hex(32) if with_hmac else None
    s.add(Integration(name=name, type_key=type_key, key_hash=hash_key(key), hmac_secret=secret))
    audit.record(s, "integration_added", None, actor=actor, integration=name, type=type_key, hmac=with_hmac, via="cli")
    return Credentials(name, key, secret)


def rotate(s: Session, name: str, actor: str) -> Credentials:
    row = _named(s, name)
    key = new_key()
    row.key_hash = hash_key(key)
    row.rotated_at = utcnow()
    if row.hmac_secret:
        row.hmac_secret = secrets.token_hex(32)
    audit.record(s, "integration_rotated", None, actor=actor, integration=name, via="cli")
    return Credentials(name, key, row.hmac_secret)


def revoke(s: Session, name: str, actor: str) -> None:
    row = _named(s, name)
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        audit.record(s, "integration_revoked", None, actor=actor, integration=name, via="cli")


def listing(s: Session) -> list[Integration]:
    return list(s.scalars(select(Integration).order_by(Integration.name)))


def find(s: Session, key: str) -> Known | None:
    """The live integration this key opens; None for an unknown or revoked key alike."""
    if not key:
        return None
    row = s.scalar(select(Integration).where(Integration.key_hash == hash_key(key)))
    if row is None or row.revoked_at is not None or not hmac.compare_digest(row.key_hash, hash_key(key)):
        return None
    return Known(row.id, row.name, row.type_key, row.hmac_secret)


def state(row: Integration) -> str:
    return "revoked" if row.revoked_at else "active"


def when(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M") if at else "-"


def _named(s: Session, name: str) -> Integration:
    row = s.scalar(select(Integration).where(Integration.name == name))
    if row is None:
        raise IntegrationError(f"no integration named {name!r}; `run.py integrations list` shows them")
    return row
