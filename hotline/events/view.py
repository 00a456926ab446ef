"""What a responder hears of a report that came from the events API: the monitoring tool's
summary and source as sent (no translation exists for a machine's words), and its custom
details flattened into short spoken phrases, for the key that asks for them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.events.models import EventAlert

SPOKEN_LIMIT = 600  # characters of details read out: enough to act on, short enough to listen to
SKIPPED = {"alerts"}  # Alertmanager's per-alert copies: counted in alerts_firing, too long to read


@dataclass(frozen=True)
class EventView:
    incident_id: int
    summary: str
    source: str
    severity: str
    details: Mapping[str, Any]
    events: int

    def pairs(self) -> list[tuple[str, str | datetime]]:
        """The details as (name, value) lines for the console, not raw JSON; a value that is an
        ISO time comes as a datetime, for the page to show in local time."""
        return [(name, _when(value) or value) for name, value in _flatten(self.details, "")]


def event_views(s: Session, incident_ids: Sequence[int]) -> dict[int, EventView]:
    """The newest event alert of each incident that has one."""
    if not incident_ids:
        return {}
    rows = s.scalars(select(EventAlert).where(EventAlert.incident_id.in_(incident_ids)).order_by(EventAlert.id))
    return {a.incident_id: EventView(a.incident_id, a.summary, a.source, a.severity, a.custom_details or {}, a.events)
            for a in rows}


def spoken_details(details: Mapping[str, Any], limit: int = SPOKEN_LIMIT) -> str:
    """ "affected records: 1500. host: db-1." from {"affected_records": 1500, "host": "db-1"}."""
    parts = [f"{name.replace('_', ' ')}: {value}" for name, value in _flatten(details, "")]
    text = ". ".join(parts)
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " ..."


def _when(value: str) -> datetime | None:
    if len(value) < 16 or value[4:5] != "-" or "T" not in value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _flatten(node: Mapping[str, Any], prefix: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for key, value in node.items():
        if key in SKIPPED and not prefix:
            continue
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.extend(_flatten(value, f"{name} "))
        elif isinstance(value, list):
            out.append((name, ", ".join(str(v) for v in value[:5])))
        else:
            out.append((name, str(value)))
    return out
