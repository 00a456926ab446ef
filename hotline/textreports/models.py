"""A conversation by text: one per report made by SMS, so the sender's later texts (the type
they pick from the menu, more details, photos) join that report instead of opening new ones; the
photos of those texts, fetched from the provider into the recordings store; and each sender's
allowance of texts (the per-sender rate limit)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hotline.base.models import Base, utcnow
from hotline.base.state_machine import Machine


class Stage(StrEnum):
    MENU = "menu"  # the sender was offered the types and has not picked one
    CLASSIFIED = "classified"  # they picked one (or the report was paged unclassified): texts add to it
    ENDED = "ended"  # the report was closed, or the sender was quiet past the window: a new text is a new report


class TextConversation(Base):
    __tablename__ = "text_conversations"
    __table_args__ = (Index("ix_text_conversations_sender_stage", "sender", "stage"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sender: Mapped[str] = mapped_column(String(32))  # caller ID, not an identity
    number: Mapped[str] = mapped_column(String(32))  # the hotline number it was sent to
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    language: Mapped[str] = mapped_column(String(10))
    stage: Mapped[str] = mapped_column(String(12), default=Stage.MENU)
    texts: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # {"at", "body", "media": [urls]}
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the sender was texted that someone accepted the report: set once, before sending, so
    # the notice goes out at most once however many accepts, retries and cycle passes see it.
    picked_up_at: Mapped[datetime | None] = mapped_column(default=None)


STAGE_MOVES: dict[str, tuple[str, ...]] = {
    Stage.MENU: (Stage.CLASSIFIED, Stage.ENDED),
    Stage.CLASSIFIED: (Stage.ENDED,),
    Stage.ENDED: (),
}
CONVERSATION = Machine("text_conversation", TextConversation, STAGE_MOVES, column="stage")


class MediaStatus(StrEnum):
    PENDING = "pending"  # at the provider; the fetch job (or the cycle) brings it here
    STORED = "stored"  # in the recordings store, with its checksum
    FAILED = "failed"  # the last fetch failed (the reason in `error`); the cycle tries again
    PURGED = "purged"  # deleted by retention with the incident's recordings (or never fetched before it)


class TextMedia(Base):
    """One photo (or other MMS attachment) of a report by text. The row exists from the moment the
    text arrives, so a fetch that fails is retried, never forgotten."""

    __tablename__ = "text_media"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("text_conversations.id"))
    url: Mapped[str] = mapped_column(String(500))  # the provider's MediaUrl
    content_type: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[str] = mapped_column(String(12), default=MediaStatus.PENDING, index=True)
    path: Mapped[str | None] = mapped_column(String(500), default=None)
    sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    size: Mapped[int | None] = mapped_column(default=None)
    attempts: Mapped[int] = mapped_column(default=0)
    last_try_at: Mapped[datetime | None] = mapped_column(default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    stored_at: Mapped[datetime | None] = mapped_column(default=None)


MEDIA = Machine("text_media", TextMedia, {
    MediaStatus.PENDING: (MediaStatus.STORED, MediaStatus.FAILED, MediaStatus.PURGED),
    MediaStatus.FAILED: (MediaStatus.STORED, MediaStatus.FAILED, MediaStatus.PURGED),  # fetched later, or failed again
    MediaStatus.STORED: (MediaStatus.PURGED,),
    MediaStatus.PURGED: (),
}, column="status")


class TextSender(Base):
    """A sender's allowance of texts, a token bucket: `tokens` as of `at` (rate limit per sender)."""

    __tablename__ = "text_senders"

    sender: Mapped[str] = mapped_column(String(32), primary_key=True)
    tokens: Mapped[float] = mapped_column(Float)
    at: Mapped[datetime] = mapped_column(default=utcnow)
