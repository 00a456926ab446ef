"""The append-only audit timeline: one function, so every event has the same shape."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.orm import Session

from hotline.base.models import AuditEvent

log = logging.getLogger("hotline.audit")


def record(session: Session, kind: str, incident_id: int | None = None, actor: str = "system",
           **detail: Any) -> AuditEvent:
    event = AuditEvent(incident_id=incident_id, kind=kind, actor=actor, detail=detail)
    session.add(event)
    log.debug("audit %s incident=%s actor=%s %s", kind, incident_id, actor, detail)
    return event
