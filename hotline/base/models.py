"""Storage schema. Other packages (callout, transcribe) add their tables to the same `Base`.

Times are timezone-aware UTC everywhere; SQLite forgets the zone, so `UTCDateTime` puts it back.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    TypeDecorator,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from hotline.base.states import IncidentStatus, RecordingStatus, TranscriptStatus

__all__ = ["Base", "Incident", "IncidentStatus", "Call", "CallEvent", "Recording", "RecordingStatus", "Transcript",
           "TranscriptStatus", "AuditEvent", "utcnow", "reference_for"]


def utcnow() -> datetime:
    return datetime.now(UTC)


REF_BASE = 1000


def reference_for(incident_id: int) -> str:
    """The reference a caller hears read back and the console shows (`Incident.ref`)."""
    return str(REF_BASE + incident_id)


class UTCDateTime(TypeDecorator[datetime]):
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime: use hotline.models.utcnow()")
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}
    if TYPE_CHECKING:
        # SQLAlchemy types it FromClause (a class may map a subquery); every model here maps a Table,
        # which the Core inserts and updates on `Model.__table__` need.
        __table__: ClassVar[Table]


class Incident(Base):
    __tablename__ = "incidents"
    # One call, one incident (first law): whichever path files a call second (a caller's choice,
    # the fallback's message, the reconciliation) joins the first one's incident, by this index.
    __table_args__ = (Index("uq_incidents_call_sid", "call_sid", unique=True,
                            sqlite_where=text("call_sid IS NOT NULL"), postgresql_where=text("call_sid IS NOT NULL")),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str | None] = mapped_column(String(12), unique=True, index=True)
    type_key: Mapped[str] = mapped_column(String(40), default="unclassified")
    severity: Mapped[str] = mapped_column(String(20), default="unknown")  # danger | normal | unknown
    caller: Mapped[str | None] = mapped_column(String(32))
    callback_number: Mapped[str | None] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(20), default=IncidentStatus.NEW, index=True)
    source: Mapped[str] = mapped_column(String(20), default="phone")  # phone | api | operator | fallback
    relayed_by: Mapped[str | None] = mapped_column(String(64))
    site: Mapped[str | None] = mapped_column(String(16))
    drill: Mapped[bool] = mapped_column(Boolean, default=False)
    drill_id: Mapped[int | None] = mapped_column(Integer, index=True)  # the drill that produced it (drill_models)
    call_sid: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # The desired state the convergence cycle drives toward: paging must have begun by then.
    # Set when the incident is reported, brought forward when the caller hangs up, cleared
    # when nobody needs to be paged for it (accepted, closed, stopped). On a stopped incident,
    # it is when its snooze ends and paging starts again (paging's commands, rule 1).
    page_due_at: Mapped[datetime | None] = mapped_column(index=True)
    paging_stopped_by: Mapped[str | None] = mapped_column(String(64))
    paging_stopped_reason: Mapped[str | None] = mapped_column(Text)
    paging_stopped_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    accepted_by: Mapped[str | None] = mapped_column(String(64))
    closed_at: Mapped[datetime | None]
    # Legal hold: who put it on hold (None = not held). Retention never purges a held incident's
    # recordings or transcripts; `hotline.retention.legal_hold` sets and clears it.
    legal_hold_by: Mapped[str | None] = mapped_column(String(64))

    recordings: Mapped[list[Recording]] = relationship(back_populates="incident", order_by="Recording.id")


class Call(Base):
    """One phone call as Twilio knows it (CallSid), with every status it reported."""

    __tablename__ = "calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    sid: Mapped[str] = mapped_column(String(64), unique=True)
    direction: Mapped[str] = mapped_column(String(20), default="inbound")
    purpose: Mapped[str] = mapped_column(String(20), default="report")  # report | callout | operator | admin
    from_number: Mapped[str | None] = mapped_column(String(32))
    to_number: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(20), default="ringing")
    abandoned: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    # An abandoned call's follow-up (hotline.paging.callbacks): None while someone should ring
    # back, else a CallbackState, with who settled it and when.
    callback_state: Mapped[str | None] = mapped_column(String(20))
    callback_by: Mapped[str | None] = mapped_column(String(64))
    callback_at: Mapped[datetime | None]
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    duration: Mapped[int | None] = mapped_column(Integer)

    events: Mapped[list[CallEvent]] = relationship(back_populates="call", order_by="CallEvent.id")


class CallEvent(Base):
    __tablename__ = "call_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)

    call: Mapped[Call] = relationship(back_populates="events")


class Recording(Base):
    __tablename__ = "recordings"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="report")  # report | update | note
    source_url: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=RecordingStatus.PENDING, index=True)
    path: Mapped[str | None] = mapped_column(Text)
    sha256: Mapped[str | None] = mapped_column(String(64))
    duration: Mapped[float | None] = mapped_column(Float)
    format: Mapped[str | None] = mapped_column(String(40))
    size: Mapped[int | None] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_try_at: Mapped[datetime | None]  # the latest fetch; a failed one is tried again later
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    stored_at: Mapped[datetime | None]

    incident: Mapped[Incident | None] = relationship(back_populates="recordings")


class Transcript(Base):
    """One per recording; status is a `TranscriptStatus`."""

    __tablename__ = "transcripts"

    id: Mapped[int] = mapped_column(primary_key=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recordings.id"), unique=True)
    status: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text, default="")
    words: Mapped[list[Any]] = mapped_column(default=list)  # [{"word","start","end","conf"}]
    model: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(16))
    audio_seconds: Mapped[float | None] = mapped_column(Float)
    decode_seconds: Mapped[float | None] = mapped_column(Float)
    rtf: Mapped[float | None] = mapped_column(Float)
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEvent(Base):
    """Append-only timeline: what happened, when, and who did it."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(64), default="system")
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Lease(Base):
    """A named lease, so a periodic job runs on one node at a time (the database is the arbiter)."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(120))
    expires_at: Mapped[datetime]
