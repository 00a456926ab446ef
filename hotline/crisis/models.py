"""Crisis tables, on the shared `Base`: what happens after a report is confirmed as real.

- `Crisis`: the verdict on one incident (at most one per incident, by a unique index): the plan
  was activated, or it was a false alarm (which activates nothing). Also whether the public dark
  site shows this crisis.
- `CrisisMember`: one person of the crisis team (or a deputy called in for one), with their
  notification state; the convergence cycle calls whoever is due (`next_call_at`).
- `CrisisStep`: the plan's checklist, frozen at activation with absolute deadlines.
- `CrisisStatement`: a public statement, drafted by one person and published once approved.
- `BridgeLeg`: who is on the crisis bridge (the conference), from its status callbacks.

The plan is copied onto these rows at activation (like the callout's escalation snapshot), so
editing a plan file never changes a running crisis. States are the enums below; only
`hotline.crisis.commands` and the `hotline.crisis` engine write them.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from hotline.base.models import Base, utcnow
from hotline.base.state_machine import Machine


class CrisisState(StrEnum):
    ACTIVE = "active"  # the plan was activated: the team is notified, the checklist runs
    FALSE_ALARM = "false_alarm"  # verified as not real; nothing was activated


class MemberState(StrEnum):
    DUE = "due"  # to be called (again) at next_call_at
    CONFIRMED = "confirmed"  # pressed 1 (or 2, joining the bridge)
    FAILED = "failed"  # their number was refused by Twilio for good
    STOOD_DOWN = "stood_down"  # a deputy no longer needed: a lead of their role confirmed


class StatementState(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


# The legal moves (`hotline.crisis.commands` and `notify` move them through their machines).
MEMBER_MOVES: dict[str, tuple[str, ...]] = {
    MemberState.DUE: (MemberState.CONFIRMED, MemberState.FAILED, MemberState.STOOD_DOWN),
    MemberState.FAILED: (MemberState.CONFIRMED, MemberState.STOOD_DOWN),  # may still confirm on the bridge
    MemberState.STOOD_DOWN: (MemberState.CONFIRMED,),  # a deputy who joins the bridge anyway
    MemberState.CONFIRMED: (),
}
STATEMENT_MOVES: dict[str, tuple[str, ...]] = {StatementState.DRAFT: (StatementState.PUBLISHED,),
                                               StatementState.PUBLISHED: ()}


class Crisis(Base):
    __tablename__ = "crises"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), unique=True)
    type_key: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(20))
    decided_by: Mapped[str] = mapped_column(String(64))
    decided_via: Mapped[str] = mapped_column(String(20))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str | None] = mapped_column(Text)
    dark_site_on: Mapped[bool] = mapped_column(Boolean, default=False, index=True)

    members: Mapped[list[CrisisMember]] = relationship(back_populates="crisis", order_by="CrisisMember.id")
    steps: Mapped[list[CrisisStep]] = relationship(back_populates="crisis", order_by="CrisisStep.position")
    statements: Mapped[list[CrisisStatement]] = relationship(back_populates="crisis",
                                                             order_by="CrisisStatement.id")


class CrisisMember(Base):
    __tablename__ = "crisis_members"
    __table_args__ = (UniqueConstraint("crisis_id", "role", "person_key", name="uq_crisis_member"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    crisis_id: Mapped[int] = mapped_column(ForeignKey("crises.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    person_key: Mapped[str] = mapped_column(String(64))
    is_deputy: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(20), default=MemberState.DUE, index=True)
    calls: Mapped[int] = mapped_column(Integer, default=0)  # notification calls placed so far
    next_call_at: Mapped[datetime | None] = mapped_column(index=True)
    last_call_sid: Mapped[str | None] = mapped_column(String(64))
    last_called_at: Mapped[datetime | None]
    first_dial_at: Mapped[datetime | None]  # when the first Calls.create returned (bench/crisis.py)
    confirmed_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)

    crisis: Mapped[Crisis] = relationship(back_populates="members")


class CrisisStep(Base):
    __tablename__ = "crisis_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    crisis_id: Mapped[int] = mapped_column(ForeignKey("crises.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    owner_role: Mapped[str] = mapped_column(String(20))
    text: Mapped[dict[str, Any]] = mapped_column(default=dict)  # per language
    due_at: Mapped[datetime] = mapped_column(index=True)
    done_by: Mapped[str | None] = mapped_column(String(64))
    done_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]  # the owner's latest overdue SMS

    crisis: Mapped[Crisis] = relationship(back_populates="steps")


class CrisisStatement(Base):
    __tablename__ = "crisis_statements"

    id: Mapped[int] = mapped_column(primary_key=True)
    crisis_id: Mapped[int] = mapped_column(ForeignKey("crises.id"), index=True)
    bodies: Mapped[dict[str, Any]] = mapped_column(default=dict)  # per language
    state: Mapped[str] = mapped_column(String(20), default=StatementState.DRAFT, index=True)
    drafted_by: Mapped[str] = mapped_column(String(64))
    drafted_at: Mapped[datetime] = mapped_column(default=utcnow)
    approved_by: Mapped[str | None] = mapped_column(String(64))
    published_at: Mapped[datetime | None] = mapped_column(index=True)
    # When the "next update is due" text for this (the newest published) statement was claimed:
    # once per due time, whichever engine claims it first (hotline.crisis.reminders).
    update_reminded_at: Mapped[datetime | None]

    crisis: Mapped[Crisis] = relationship(back_populates="statements")


class BridgeLeg(Base):
    """One call on a crisis bridge, from join to leave (Twilio's conference status callbacks)."""

    __tablename__ = "crisis_bridge_legs"
    __table_args__ = (UniqueConstraint("crisis_id", "call_sid", name="uq_bridge_leg"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    crisis_id: Mapped[int] = mapped_column(ForeignKey("crises.id"), index=True)
    call_sid: Mapped[str] = mapped_column(String(64))
    person_key: Mapped[str | None] = mapped_column(String(64))
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)
    left_at: Mapped[datetime | None]


# Their machines (`hotline.base.state_machine`); the commands that move them write the audit rows.
MEMBER = Machine("crisis member", CrisisMember, MEMBER_MOVES)
STATEMENT = Machine("statement", CrisisStatement, STATEMENT_MOVES)


def covered_roles(s: Session, crisis_id: int) -> set[str]:
    """The roles of a crisis that a lead (not a deputy) has confirmed: their deputies are not needed."""
    return set(s.scalars(select(CrisisMember.role).where(
        CrisisMember.crisis_id == crisis_id, CrisisMember.is_deputy.is_(False),
        CrisisMember.state == MemberState.CONFIRMED)))
