"""A conversation by text: one per report made by SMS, so the sender's later texts (the type
they pick from the menu, more details, photos) join that report instead of opening new ones."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
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


STAGE_MOVES: dict[str, tuple[str, ...]] = {
    Stage.MENU: (Stage.CLASSIFIED, Stage.ENDED),
    Stage.CLASSIFIED: (Stage.ENDED,),
    Stage.ENDED: (),
}
CONVERSATION = Machine("text_conversation", TextConversation, STAGE_MOVES, column="stage")
