"""Audit rows for floods: one row per source per minute, with a count.

An attacker can send unsigned requests as fast as the network allows; a row per request would
let them fill the database. Each (kind, source) gets one row per clock minute whose `count`
goes up instead; the log line still says what happened.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.base import audit
from hotline.base.models import AuditEvent, utcnow

MAX_PATHS = 5  # distinct paths kept per row: enough to see what was probed, bounded in size


def count(s: Session, kind: str, source: str, path: str, **detail: Any) -> AuditEvent:
    """Add one occurrence to this minute's row for (kind, source), creating it if needed."""
    now = utcnow()
    minute = now.replace(second=0, microsecond=0)
    source = source[:64]
    row = s.scalar(select(AuditEvent).where(AuditEvent.kind == kind, AuditEvent.actor == source,
                                            AuditEvent.at >= minute, AuditEvent.at < minute + timedelta(minutes=1))
                   .order_by(AuditEvent.id).limit(1).with_for_update())
    if row is None:
        return audit.record(s, kind, None, actor=source, count=1, paths=[path], **detail)
    paths = list(row.detail.get("paths", []))
    if path not in paths and len(paths) < MAX_PATHS:
        paths.append(path)
    row.detail = {**row.detail, **detail, "count": int(row.detail.get("count", 1)) + 1, "paths": paths}
    return row
