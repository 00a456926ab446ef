"""Callout jobs. Placeholder until the callout state machine lands: records the request."""

from __future__ import annotations

from hotline import audit
from hotline.runtime import get_runtime


def start(incident_id: int) -> None:
    with get_runtime().db.session() as s:
        audit.record(s, "callout_requested", incident_id)
