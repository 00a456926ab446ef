"""Callout tables, on the shared `hotline.base.models.Base`.

A `Callout` is one escalation run; it covers one incident, or many when a storm of reports
arrives together (`callout_incidents`). An `Attempt` is one phone call to one person.

Two rules live in the schema itself, so no code path (or duplicated RQ job) can break them:
- an incident is paged by at most one callout at a time (partial unique index on active links);
- a (round, step, person) is dialled at most once per callout, and at most one attempt per
  callout ends `accepted` (partial unique index, valid on SQLite and PostgreSQL).
State columns are only ever written through `hotline.paging.callout.states`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.base.models import Base, Incident, utcnow
from hotline.base.states import AttemptState, CalloutState

callout_incidents = Table(
    "callout_incidents",
    Base.metadata,
    Column("callout_id", ForeignKey("callouts.id", ondelete="CASCADE"), primary_key=True),
    Column("incident_id", ForeignKey("incidents.id"), primary_key=True),
    # False once the callout no longer pages for this incident (closed, stopped, or the callout
    # ended). An incident is paged by at most one callout at a time; "page again" adds a new link.
    Column("active", Boolean, nullable=False, default=True, server_default=true()),
    Index("uq_incident_paged_once", "incident_id", unique=True,
          sqlite_where=text("active = 1"), postgresql_where=text("active")),
)


class Callout(Base):
    __tablename__ = "callouts"

    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(String(20), default=CalloutState.PENDING, index=True)
    type_key: Mapped[str] = mapped_column(String(40))
    policy_key: Mapped[str] = mapped_column(String(40))
    storm: Mapped[bool] = mapped_column(Boolean, default=False)
    round: Mapped[int] = mapped_column(Integer, default=0)  # round of the latest dial (0 = none yet)
    step: Mapped[int | None] = mapped_column(Integer)  # step of the latest dial
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]  # first dial
    unacknowledged_at: Mapped[datetime | None]  # every round and the fallback went unanswered
    next_wake_at: Mapped[datetime | None] = mapped_column(index=True)  # when the engine must look again
    # "Escalate now" while the callout waits between rounds: the wait that was under way then ends
    # at once (`hotline.paging.callout.decide.next_action`); later waits are not touched.
    hurried_at: Mapped[datetime | None]
    accepted_by: Mapped[str | None] = mapped_column(String(64))  # person key
    accepted_by_name: Mapped[str | None] = mapped_column(String(120))
    accepted_at: Mapped[datetime | None]
    accepted_attempt_id: Mapped[int | None] = mapped_column(Integer)
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    # The incident type whose new reports join this callout (a storm); unique, so two reports
    # arriving together cannot open two callouts. Cleared when the storm window or callout ends.
    storm_type: Mapped[str | None] = mapped_column(String(40), unique=True)
    closed_out_at: Mapped[datetime | None]  # accepted: other calls ended, SMS sent; cancelled: calls ended
    # A drill's callout rings only the drill's participants (callout.store.contacts_for) and never
    # joins a real storm; its attempts are the drill's through it.
    drill_id: Mapped[int | None] = mapped_column(Integer, index=True)

    # The incidents this callout is responsible for: paging them, or accepted through it.
    incidents: Mapped[list[Incident]] = relationship(
        secondary=callout_incidents, order_by=Incident.id, viewonly=True,
        secondaryjoin=lambda: (callout_incidents.c.incident_id == Incident.id) & callout_incidents.c.active)
    attempts: Mapped[list[Attempt]] = relationship(back_populates="callout", order_by="Attempt.id")


class Attempt(Base):
    __tablename__ = "attempts"
    __table_args__ = (
        UniqueConstraint("callout_id", "round", "step", "person_key", name="uq_attempt_slot"),
        Index("uq_attempt_one_acceptor", "callout_id", unique=True,
              sqlite_where=text("outcome = 'accepted'"), postgresql_where=text("outcome = 'accepted'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    callout_id: Mapped[int] = mapped_column(ForeignKey("callouts.id", ondelete="CASCADE"), index=True)
    person_key: Mapped[str] = mapped_column(String(64))
    person_name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(32))
    round: Mapped[int] = mapped_column(Integer)
    step: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(80), default="")
    ring_timeout: Mapped[int] = mapped_column(Integer, default=25)
    call_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    state: Mapped[str] = mapped_column(String(20), default=AttemptState.QUEUED, index=True)
    outcome: Mapped[str | None] = mapped_column(String(20))
    answered_by: Mapped[str | None] = mapped_column(String(40))  # Twilio AnsweredBy, as sent
    digits: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ring_started_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    twilio_error: Mapped[str | None] = mapped_column(Text)
    # Placing the call: claimed by one process at a time; a platform failure (429/5xx, network)
    # keeps the attempt QUEUED with `retry_at`, so the person is rung, not skipped.
    placing_at: Mapped[datetime | None]
    place_tries: Mapped[int] = mapped_column(Integer, default=0)
    retry_at: Mapped[datetime | None]

    callout: Mapped[Callout] = relationship(back_populates="attempts")


class ReconcileMark(Base):
    """How far back the reconciliation (`hotline.paging.reconcile`) must look at Twilio next,
    per account and kind ("recordings", "calls"): kept in the database, so a hotline that was
    down for a weekend looks back over the whole weekend when it starts, not over a fixed day."""

    __tablename__ = "reconcile_marks"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    since: Mapped[datetime]
