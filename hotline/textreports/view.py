"""What a reporter texted, for the responder's call: read out where a caller's transcript would be."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.textreports.models import TextConversation


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
