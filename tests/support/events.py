"""The events tests' helpers: the callout tests' rota plus activation rules, integrations, and posting
Events v2 bodies to the running app.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests
from sqlalchemy import func, select

from hotline.base.models import Incident
from hotline.events import integrations
from hotline.events.models import EventAlert
from tests.support import e2e
from tests.support.sandbox import Hotline

RATE_LIMIT = 40


RULES = f"""
[events]
max_body_kb = 16
rate_limit_per_minute = {RATE_LIMIT}
signature_window_seconds = 60

[event_rules.cyber_security]
otherwise = "watch"
rules = [
  {{ name = "large_leak", when = ["affected_records >= 1000"], action = "page" }},
  {{ name = "serious", when = ["severity >= error"], action = "page" }},
  {{ name = "noise", when = ["severity == info"], action = "ignore" }},
]
"""


def write_config(folder: Path) -> Path:
    path = e2e.write_config(folder)
    path.write_text(path.read_text(encoding="utf-8") + RULES, encoding="utf-8")
    return path


def add_integration(h: Hotline, name: str, type_key: str = "cyber_security",
                    with_hmac: bool = False) -> integrations.Credentials:
    with h.session() as s:
        return integrations.add(s, name, type_key, with_hmac, "test")


def post(h: Hotline, body: Any, path: str = "/events/v2/enqueue", **kwargs: Any) -> requests.Response:
    return requests.post(h.public_url + path, json=body, timeout=30, **kwargs)


def trigger(key: str, dedup: str | None = "leak-1", severity: str = "critical", summary: str = "Data leak on db-1",
            **details: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"routing_key": key, "event_action": "trigger",
                            "payload": {"summary": summary, "source": "ids-1", "severity": severity,
                                        "custom_details": details}}
    if dedup is not None:
        body["dedup_key"] = dedup
    return body


def action(key: str, what: str, dedup: str) -> dict[str, Any]:
    return {"routing_key": key, "event_action": what, "dedup_key": dedup}


def incident_count(h: Hotline) -> int:
    with h.session() as s:
        return int(s.scalar(select(func.count()).select_from(Incident)) or 0)


def alerts_for(h: Hotline, dedup: str) -> list[EventAlert]:
    with h.session() as s:
        return list(s.scalars(select(EventAlert).where(EventAlert.dedup_key == dedup).order_by(EventAlert.id)))
