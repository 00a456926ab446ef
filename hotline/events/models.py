"""Tables of the events API, on the shared `hotline.base.models.Base`.

An `Integration` is one monitoring source allowed to send events (a key each, stored as its
SHA-256 only: keys are long random strings, so a plain hash is enough and lets a request find
its integration by index). An `EventAlert` ties an integration's `dedup_key` to the incident it
opened; while it is open (`open_key` set) further events with that key join the incident.

One rule lives in the schema, so no race can break it: an integration has at most one open
alert per dedup_key (unique `(integration_id, open_key)`; NULLs are distinct on SQLite and
PostgreSQL, so closed alerts never collide). A flood of concurrent triggers therefore opens
exactly one incident: the losers of the insert join the winner's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.base.models import Base, utcnow


class Integration(Base):
    __tablename__ = "integrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    type_key: Mapped[str] = mapped_column(String(40))  # the incident type its events open
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex of the integration key
    hmac_secret: Mapped[str | None] = mapped_column(String(128))  # signs bodies when set (shown once)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    rotated_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class EventAlert(Base):
    """One incident opened by events: what the monitoring tool said, and how often it repeated."""

    __tablename__ = "event_alerts"
    __table_args__ = (UniqueConstraint("integration_id", "open_key", name="uq_event_alert_open"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id"), index=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    dedup_key: Mapped[str] = mapped_column(String(255), index=True)
    open_key: Mapped[str | None] = mapped_column(String(255))  # = dedup_key while open, NULL once closed
    summary: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(255), default="")
    severity: Mapped[str] = mapped_column(String(20), default="")
    custom_details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    decision: Mapped[str] = mapped_column(String(10))  # page | watch: the rule's verdict at the first event
    rule: Mapped[str] = mapped_column(String(120), default="")
    events: Mapped[int] = mapped_column(Integer, default=1)  # triggers received, the first included
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_event_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
