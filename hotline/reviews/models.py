"""Review tables, on the shared `Base`: one review per closed incident, and its action items.

- `Review`: the after-action report of one incident (a unique index: one per incident). Its key
  times, people, checklist and recordings are computed from the incident's rows each time it is
  read (`hotline.reviews.report`), never stored; only what people write is kept here: findings.
- `ActionItem`: something to change, with an owner (a `[people]` key), a due date and a state,
  open or done, moved only through `ACTION` (`hotline.base.state_machine`). `reminded_at` is the
  latest reminder SMS, claimed in the database before it goes (`hotline.reviews.reminders`).

A crisis is one per incident, so the review of its incident is the crisis's review; a drill's
incident gets the same review as a real one.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from hotline.base import audit
from hotline.base.models import Base, utcnow
from hotline.base.state_machine import Machine, Move


class ActionState(StrEnum):
    OPEN = "open"  # to be done by its owner by its due date; reminded when due
    DONE = "done"  # done; may be reopened if it was not


ACTION_MOVES: dict[str, tuple[str, ...]] = {ActionState.OPEN: (ActionState.DONE,),
                                            ActionState.DONE: (ActionState.OPEN,)}


class Review(Base):
    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), unique=True)
    started_by: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    findings: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(64))


class ActionItem(Base):
    __tablename__ = "review_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    owner_key: Mapped[str] = mapped_column(String(64))
    due_on: Mapped[date] = mapped_column(Date, index=True)
    state: Mapped[str] = mapped_column(String(20), default=ActionState.OPEN, index=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_by: Mapped[str | None] = mapped_column(String(64))
    done_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    emailed_at: Mapped[datetime | None]  # the one reminder email, claimed before it is sent (reviews.reminders)


def _audit(s: Session, move: Move) -> None:
    """An action item's move goes on its incident's timeline, beside the review's other rows."""
    incident_id = s.execute(select(Review.incident_id).join(ActionItem, ActionItem.review_id == Review.id)
                            .where(ActionItem.id == move.row_id)).scalar_one()
    audit.record(s, f"review.action_{move.to}", incident_id, actor=move.actor, action_id=move.row_id, **move.detail)


ACTION = Machine("action item", ActionItem, ACTION_MOVES, touched="updated_at", audit=_audit)
