"""Two-way messages on a report made from the app, between the console and the phone that made it.

The rules, written once:

1. Only the enrolled device that made a report reads or writes its messages: a report is found
   by (device, the phone's report id), so another phone's token finds nothing (the API's 404),
   and an unknown or revoked token is refused before that (401).
2. An admin writes from the incident page while the incident is open (not closed): the reporter
   is staff, so a question may come before anyone accepts. The phone reads it on its next poll.
3. A reply is one message however often the phone sends it: the row (report, the phone's
   message id) is claimed by an insert that does nothing when it exists, as reports are.
4. Every message, either way, is one line on the incident's timeline with who wrote it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hotline.base import audit
from hotline.base.models import Incident, utcnow
from hotline.base.states import IncidentStatus
from hotline.reportapp.models import AppMessage, AppReport

MAX_CHARS = 1000


@dataclass(frozen=True)
class Message:
    id: int
    at: datetime
    incoming: bool  # from the reporter; else to them
    body: str
    who: str  # the console user who wrote it, or the reporter's [people] key


@dataclass(frozen=True)
class Written:
    ok: bool
    code: str  # sent | empty | too_long | not_app | closed | replied | already_replied | not_found
    message_id: int | None = None


def bounded(body: str) -> str | None:
    """The body to store, or None when it is empty."""
    body = body.strip()
    return body or None


def message_reporter(s: Session, incident_id: int, body: str, who: str, now: datetime | None = None) -> Written:
    """Rule 2 and 4: the admin's message to the app reporter of `incident_id`."""
    text = bounded(body)
    if text is None:
        return Written(False, "empty")
    if len(text) > MAX_CHARS:
        return Written(False, "too_long")
    report_id = s.scalar(select(AppReport.id).where(AppReport.incident_id == incident_id))
    if report_id is None:
        return Written(False, "not_app")
    if s.scalar(select(Incident.status).where(Incident.id == incident_id)) == IncidentStatus.CLOSED:
        return Written(False, "closed")
    row = AppMessage(report_id=report_id, incident_id=incident_id, incoming=False, body=text, who=who,
                     at=now or utcnow())
    s.add(row)
    s.flush()
    audit.record(s, "app.message", incident_id, actor=who, body=text)
    return Written(True, "sent", row.id)


def report_of(s: Session, device_id: int, client_id: str) -> AppReport | None:
    """Rule 1: the device's own report with the phone's id, else None."""
    return s.scalar(select(AppReport).where(AppReport.device_id == device_id, AppReport.client_id == client_id))


def reply(s: Session, device_id: int, person: str, client_id: str, msg_id: str, body: str,
          now: datetime | None = None) -> Written:
    """Rules 1, 3 and 4: the reporter's reply from the phone, stored once."""
    report = report_of(s, device_id, client_id)
    if report is None or report.incident_id is None:
        return Written(False, "not_found")
    text = bounded(body)
    if text is None:
        return Written(False, "empty")
    if len(text) > MAX_CHARS:
        return Written(False, "too_long")
    at = now or utcnow()
    claimed = s.execute(_claim(s), {"report_id": report.id, "incident_id": report.incident_id, "incoming": True,
                                    "client_msg_id": msg_id, "body": text, "who": person, "at": at}).first()
    if claimed is None:
        found = s.scalar(select(AppMessage.id).where(AppMessage.report_id == report.id,
                                                     AppMessage.client_msg_id == msg_id))
        return Written(True, "already_replied", found)
    audit.record(s, "app.reply", report.incident_id, actor=person, body=text)
    return Written(True, "replied", claimed.id)


def messages_of(s: Session, report_id: int) -> list[Message]:
    """The conversation on one app report, oldest first."""
    return [Message(m.id, m.at, m.incoming, m.body, m.who) for m in s.scalars(
        select(AppMessage).where(AppMessage.report_id == report_id).order_by(AppMessage.at, AppMessage.id))]


def threads_of(s: Session, device_id: int, client_ids: list[str]) -> dict[str, list[Message]]:
    """Rule 1 for several reports at once: the conversations on those of `client_ids` this device
    made, oldest first, in two statements however many (the app asks for its recent reports on
    every poll). Another phone's or an unknown id is simply absent."""
    reports = dict(s.execute(select(AppReport.id, AppReport.client_id).where(
        AppReport.device_id == device_id, AppReport.client_id.in_(client_ids))).all())
    threads: dict[str, list[Message]] = {client_id: [] for client_id in reports.values()}
    if reports:
        for m in s.scalars(select(AppMessage).where(AppMessage.report_id.in_(reports))
                           .order_by(AppMessage.at, AppMessage.id)):
            threads[reports[m.report_id]].append(Message(m.id, m.at, m.incoming, m.body, m.who))
    return threads


def _claim(s: Session) -> Any:
    """INSERT ... ON CONFLICT (report_id, client_msg_id) DO NOTHING RETURNING id."""
    table = AppMessage.__table__
    insert = postgresql.insert if s.get_bind().dialect.name == "postgresql" else sqlite.insert
    return insert(table).on_conflict_do_nothing(index_elements=["report_id", "client_msg_id"]).returning(table.c.id)
