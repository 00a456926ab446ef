"""Reminders for action items that are due: the owner of every open item whose due date has come
(in the hotline's time zone) gets an SMS through the provider, the way crisis checklist owners
are reminded, and again every `EVERY` until it is done.

A reminder is claimed in the database first (`reminded_at` moves on in a conditional UPDATE), so
two engines running the cycle never send one twice; the SMS is sent after the commit, and its
result (sid or error) is one row on the incident's timeline. Due-ness is the pure `due`, tested
as a table.

An owner with an email address (`[people.KEY] email`) also gets one email per due item, through
the broadcasts' email path (`[broadcasts.email]`, plain text and HTML), never twice: it is claimed
by its own conditional UPDATE (`emailed_at` from NULL), so the daily SMS repeats never resend it.
A passing failure (a 4xx, the server down) gives the claim back, to be tried on a later cycle with
the same Message-ID (`<review-action-ID@host>`), so a mail system sees any resend as one message;
a refusal is final. Either is one row on the timeline.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, CursorResult, select, update
from sqlalchemy.orm import Session

from hotline.base import audit
from hotline.base.config import Person
from hotline.base.models import Incident
from hotline.base.runtime import get_runtime
from hotline.broadcasts import door
from hotline.provider import dialer
from hotline.reviews.models import ActionItem, ActionState, Review
from hotline.reviews.phrases import due_subject, due_text

EVERY = timedelta(days=1)  # an owner is reminded once a day, not on every cycle


@dataclass(frozen=True)
class Sms:
    incident_id: int
    action_id: int
    phone: str
    body: str


@dataclass(frozen=True)
class Mail:
    incident_id: int
    action_id: int
    to: str
    subject: str
    body: str


def due(due_on: date, reminded_at: datetime | None, now: datetime, tz: ZoneInfo) -> bool:
    """Its due date has come where the hotline is, and it was not reminded in the last `EVERY`."""
    return now.astimezone(tz).date() >= due_on and (reminded_at is None or now - reminded_at >= EVERY)


def remind_due(now: datetime) -> list[int]:
    """SMS the owners of the open items that are due (and email them, once); returns the ids reminded."""
    rt = get_runtime()
    cfg = rt.config
    tz = ZoneInfo(cfg.timezone)
    messages: list[Sms] = []
    with rt.db.session() as s:
        for item, incident_id, ref, person in _open_due_items(s, now, tz):
            if not due(item.due_on, item.reminded_at, now, tz):
                continue
            claimed = cast(CursorResult[Any], s.execute(update(ActionItem).where(
                ActionItem.id == item.id, ActionItem.state == ActionState.OPEN,
                ActionItem.reminded_at.is_(None) if item.reminded_at is None
                else ActionItem.reminded_at == item.reminded_at).values(reminded_at=now))).rowcount
            if claimed:
                body = due_text(person.languages, cfg.languages, org=cfg.org_name, ref=ref or incident_id,
                                due=item.due_on.isoformat(), text=item.text[:200])
                messages.append(Sms(incident_id, item.id, person.phone, body))
    for m in messages:
        _send(m)
    mailed = _email_due(now)
    return sorted({m.action_id for m in messages} | set(mailed))


def _email_due(now: datetime) -> list[int]:
    """The one email of each due open item whose owner has an address: claimed, then sent."""
    rt = get_runtime()
    cfg = rt.config
    tz = ZoneInfo(cfg.timezone)
    mails: list[Mail] = []
    with rt.db.session() as s:
        for item, incident_id, ref, person in _open_due_items(s, now, tz, ActionItem.emailed_at.is_(None)):
            if not person.email:
                continue
            claimed = cast(CursorResult[Any], s.execute(update(ActionItem).where(
                ActionItem.id == item.id, ActionItem.state == ActionState.OPEN, ActionItem.emailed_at.is_(None))
                .values(emailed_at=now))).rowcount
            if claimed:
                values = {"org": cfg.org_name, "ref": ref or incident_id, "due": item.due_on.isoformat(),
                          "text": item.text[:2000]}
                mails.append(Mail(incident_id, item.id, person.email,
                                  due_subject(person.languages, cfg.languages, **values),
                                  due_text(person.languages, cfg.languages, **values)))
    for m in mails:
        _mail(m)
    return [m.action_id for m in mails]


def _open_due_items(s: Session, now: datetime, tz: ZoneInfo,
                    *also: ColumnElement[bool]) -> Iterator[tuple[ActionItem, int, str | None, Person]]:
    """Open items whose due date has come where the hotline is (and `also`), with their incident's
    id and reference and their owner; an owner no longer in `[people]` is skipped."""
    people = get_runtime().config.people
    rows = s.execute(select(ActionItem, Review.incident_id, Incident.ref)
                     .join(Review, Review.id == ActionItem.review_id)
                     .join(Incident, Incident.id == Review.incident_id)
                     .where(ActionItem.state == ActionState.OPEN,
                            ActionItem.due_on <= now.astimezone(tz).date(), *also))
    for item, incident_id, ref in rows:
        person = people.get(item.owner_key)
        if person is not None:
            yield item, incident_id, ref, person


def _mail(m: Mail) -> None:
    cfg = get_runtime().config
    host = urlsplit(cfg.public_url).hostname or "localhost"
    sent = door.email_person(cfg, m.to, m.subject, m.body, f"<review-action-{m.action_id}@{host}>")
    with get_runtime().db.session() as s:
        if sent.ok:
            audit.record(s, "review.reminder_emailed", m.incident_id, action_id=m.action_id, to=m.to)
            return
        audit.record(s, "review.reminder_email_failed", m.incident_id, action_id=m.action_id, to=m.to,
                     error=sent.error, permanent=sent.permanent)
        if not sent.permanent:  # give the claim back: a later cycle tries again
            s.execute(update(ActionItem).where(ActionItem.id == m.action_id).values(emailed_at=None))


def _send(m: Sms) -> None:
    cfg = get_runtime().config
    try:
        sid = dialer.send_sms(m.phone, cfg.numbers[0], m.body)
    except dialer.DialerError as exc:
        with get_runtime().db.session() as s:
            audit.record(s, "review.reminder_failed", m.incident_id, action_id=m.action_id, to=m.phone,
                         error=exc.describe())
        return
    with get_runtime().db.session() as s:
        audit.record(s, "review.reminder_sent", m.incident_id, action_id=m.action_id, to=m.phone, sid=sid)
