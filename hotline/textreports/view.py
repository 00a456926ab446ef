"""A report by text as people see it: what the reporter texted, read out on the responder's call
where a caller's transcript would be; and the incident page's panel (the conversation both ways,
the photos)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.base.models import AuditEvent, Incident
from hotline.base.states import IncidentStatus
from hotline.textreports.models import TextConversation, TextMedia


def texts_of(s: Session, incident_ids: Sequence[int]) -> dict[int, str]:
    """Incident id -> the texts its reporter sent, in order (menu digits left out)."""
    if not incident_ids:
        return {}
    out: dict[int, str] = {}
    for row in s.scalars(select(TextConversation).where(TextConversation.incident_id.in_(incident_ids))
                         .order_by(TextConversation.id)):
        said = [t["body"].strip() for t in row.texts if t.get("body", "").strip() and not t["body"].strip().isdigit()]
        if said:
            out[row.incident_id] = " ".join(said)
    return out


@dataclass(frozen=True)
class Photo:
    id: int
    status: str  # pending | stored | failed
    content_type: str
    error: str | None


@dataclass(frozen=True)
class Message:
    at: datetime
    incoming: bool  # from the reporter; else texted to them
    body: str
    who: str  # the sender's number, or the console user who sent it ("" for the hotline's own notices)


@dataclass(frozen=True)
class Panel:
    sender: str
    language: str
    photos: tuple[Photo, ...]
    messages: tuple[Message, ...]  # oldest first
    can_message: bool  # accepted and not closed: the acceptor may text the reporter


def panel(s: Session, incident_id: int) -> Panel | None:
    """The incident page's panel of a report made by text; None for any other incident."""
    rows = list(s.scalars(select(TextConversation).where(TextConversation.incident_id == incident_id)
                          .order_by(TextConversation.id)))
    if not rows:
        return None
    photos = tuple(Photo(m.id, m.status, m.content_type, m.error) for m in s.scalars(
        select(TextMedia).where(TextMedia.incident_id == incident_id).order_by(TextMedia.id)))
    messages = [Message(datetime.fromisoformat(t["at"]), True, t.get("body", ""), row.sender)
                for row in rows for t in row.texts]
    messages += [Message(e.at, False, str(e.detail.get("body", "")), e.actor or "")
                 for e in s.scalars(select(AuditEvent).where(AuditEvent.incident_id == incident_id,
                                                             AuditEvent.kind.in_(("text.sent", "text.message"))))]
    status = s.scalar(select(Incident.status).where(Incident.id == incident_id))
    return Panel(rows[-1].sender, rows[-1].language, photos, tuple(sorted(messages, key=lambda m: m.at)),
                 status == IncidentStatus.ACCEPTED)


def stored_photo(s: Session, media_id: int) -> tuple[str, str] | None:
    """(location, content type) of a stored photo, else None."""
    row = s.get(TextMedia, media_id)
    if row is None or row.status != "stored" or not row.path:
        return None
    return row.path, row.content_type
