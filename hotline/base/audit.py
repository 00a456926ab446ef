"""The append-only audit timeline: one function, so every event has the same shape.

Each event is also a log line (INFO: its kind, with the incident's reference through
hotline.base.log_context; DEBUG: its detail, which may hold phone numbers), so a log shipper
sees the same story as the console's timeline."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from hotline.base.log_context import about
from hotline.base.models import AuditEvent

log = logging.getLogger("hotline.audit")
_INSERT = insert(AuditEvent.__table__)  # built once: record_now runs on every webhook


def record(session: Session, kind: str, incident_id: int | None = None, actor: str = "system",
           **detail: Any) -> AuditEvent:
    """Join the session's unit of work: written at its flush, after the ORM objects it may refer
    to, and many rows in one statement (a storm's callout writes one per incident)."""
    event = AuditEvent(incident_id=incident_id, kind=kind, actor=actor, detail=detail)
    session.add(event)
    _log(kind, incident_id, actor, detail)
    return event


def record_now(session: Session, kind: str, incident_id: int | None = None, actor: str = "system",
               **detail: Any) -> None:
    """The same row, written at once by one Core statement: for the per-webhook writes, which are
    Core statements themselves, where the ORM's flush of a single row would cost more than the
    rest of the request's SQL. The incident it names must be written already."""
    session.connection().execute(_INSERT, {"incident_id": incident_id, "kind": kind, "actor": actor, "detail": detail})
    _log(kind, incident_id, actor, detail)


def _log(kind: str, incident_id: int | None, actor: str, detail: dict[str, Any]) -> None:
    with about(incident_id):
        log.info("audit %s", kind)
        log.debug("audit %s actor=%s %s", kind, actor, detail)
