"""The append-only audit timeline: one function, so every event has the same shape.

Each event is also a log line (INFO: its kind, with the incident's reference through
hotline.base.log_context; DEBUG: its detail, which may hold phone numbers), so a log shipper
sees the same story as the console's timeline."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.orm import Session

from hotline.base.log_context import about
from hotline.base.models import AuditEvent

log = logging.getLogger("hotline.audit")


def record(session: Session, kind: str, incident_id: int | None = None, actor: str = "system",
           **detail: Any) -> AuditEvent:
    event = AuditEvent(incident_id=incident_id, kind=kind, actor=actor, detail=detail)
    session.add(event)
    with about(incident_id):
        log.info("audit %s", kind)
        log.debug("audit %s actor=%s %s", kind, actor, detail)
    return event
