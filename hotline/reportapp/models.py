"""Enrolled phones and the reports they sent.

A device row is made when an admin issues an enrolment link for a person; opening the link on
the phone enrols it once (a device token, kept on the phone; only its hash is stored here). A
revoked device's token is refused. An app report row ties a device's own report id (made on the
phone, so a report kept offline and sent twice is one report) to the incident it filed, with
where the phone was when it was made. An app message is one line of the conversation on a
report between the console and the phone that made it (`hotline.reportapp.messages`).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Float, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, Session, mapped_column

from hotline.base import audit
from hotline.base.models import Base, utcnow
from hotline.base.state_machine import Machine, Move


class DeviceState(StrEnum):
    PENDING = "pending"  # a link was issued and not opened yet
    ENROLLED = "enrolled"  # the phone holds a token and may report
    REVOKED = "revoked"  # an admin revoked it (or the link before it was used): its token is refused


class AppDevice(Base):
    __tablename__ = "app_devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    person: Mapped[str] = mapped_column(String(64), index=True)  # a [people] key
    state: Mapped[str] = mapped_column(String(12), default=DeviceState.PENDING)
    link_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the enrolment link's token
    link_expires_at: Mapped[datetime]
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)  # sha256 of the device token
    language: Mapped[str] = mapped_column(String(10))
    issued_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    enrolled_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[str | None] = mapped_column(String(64))
    last_seen_at: Mapped[datetime | None]
    user_agent: Mapped[str | None] = mapped_column(String(200))


class AppReport(Base):
    __tablename__ = "app_reports"
    __table_args__ = (UniqueConstraint("device_id", "client_id", name="uq_app_reports_device_client"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("app_devices.id"))
    client_id: Mapped[str] = mapped_column(String(40))  # made on the phone when the report was made
    # set in the same transaction as the row (None only inside it)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    type_key: Mapped[str] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(Text)
    made_at: Mapped[datetime]  # on the phone (it may have waited offline)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    located_at: Mapped[datetime | None]
    nearest_site: Mapped[str | None] = mapped_column(String(16))
    nearest_km: Mapped[float | None] = mapped_column(Float)
    photo: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    photo_type: Mapped[str | None] = mapped_column(String(40))
    memo_path: Mapped[str | None] = mapped_column(String(500))  # the voice memo, in the recording store
    memo_type: Mapped[str | None] = mapped_column(String(40))


class AppMessage(Base):
    """A message on an app report: written by an admin in the console (outgoing), or by the
    reporter on the phone (incoming; the phone's own id for it makes a resend one message)."""

    __tablename__ = "app_messages"
    __table_args__ = (UniqueConstraint("report_id", "client_msg_id", name="uq_app_messages_report_client"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("app_reports.id"), index=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    incoming: Mapped[bool]  # from the reporter; else to them
    client_msg_id: Mapped[str | None] = mapped_column(String(40))  # the phone's id (incoming only)
    body: Mapped[str] = mapped_column(Text)
    who: Mapped[str] = mapped_column(String(64))  # the console user, or the reporter's [people] key
    at: Mapped[datetime] = mapped_column(default=utcnow)


DEVICE_MOVES: dict[str, tuple[str, ...]] = {
    DeviceState.PENDING: (DeviceState.ENROLLED, DeviceState.REVOKED),
    DeviceState.ENROLLED: (DeviceState.REVOKED,),
    DeviceState.REVOKED: (),
}


def _audit(s: Session, move: Move) -> None:
    """Every enrolment and revocation on the audit log (no incident: it is about a phone)."""
    audit.record(s, f"app_device_{move.to}", None, actor=move.actor, device_id=move.row_id, **move.detail)


DEVICE = Machine("app_device", AppDevice, DEVICE_MOVES, column="state", audit=_audit)
