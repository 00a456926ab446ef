"""Lifecycle commands for broadcasts: draft, approve, cancel, and a recipient's answer.

The rules, written once:

1. A broadcast says something (in at least one language; each recipient reads their own, else
   the first given) to at least one directory group over at least one channel.
2. Under the two-person rule (`[broadcasts] two_person_rule` from the console and the CLI; a
   plan's own `two_person_rule`) it is sent only when an admin other than its author approves it.
   A broadcast that carries a published statement was approved with the statement: one approval.
3. Approval writes every recipient and their first message in the same transaction (a snapshot
   of the directory, like the callout's escalation snapshot), so nothing approved is ever lost;
   the convergence cycle and the senders do the rest from the database.
4. A recipient answers once per question but may change their answer ("safe", later "need
   help"); an answer whose meaning is "I need help" opens one incident for that person through
   paging's commands (`hotline.paging.commands.open_report`), paged at once like any report.
5. Every change writes an audit row naming the actor and channel.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from hotline.base.config import Config
from hotline.base.jobs import Followup
from hotline.base.lifecycle import Actor, Channel, Outcome, audited
from hotline.base.models import utcnow
from hotline.broadcasts import fanout
from hotline.broadcasts.followups import SendDue
from hotline.broadcasts.models import (
    BROADCAST,
    DELIVERY,
    RECIPIENT,
    Broadcast,
    BroadcastState,
    Delivery,
    DeliveryState,
    PushSubscription,
    Recipient,
    RecipientState,
)
from hotline.broadcasts.questions import QUESTIONS
from hotline.directory.models import CHANNELS, DirectoryGroup
from hotline.paging import commands as paging


@dataclass(frozen=True)
class Spec:
    """What an author asks for."""

    title: str
    bodies: dict[str, str]
    groups: tuple[str, ...]
    channels: tuple[str, ...]
    question: str | None = None
    retry_minutes: int = 10
    help_type: str = "other"
    source: str = "console"
    stage: str | None = None
    incident_id: int | None = None
    approved_by: str | None = None  # already approved elsewhere (a published statement): rule 2


def _invalid(s: Session, spec: Spec) -> str | None:
    if not any(b.strip() for b in spec.bodies.values()):
        return "a broadcast cannot be empty: write it in at least one language"
    if not spec.groups:
        return "choose at least one group"
    known = set(s.scalars(select(DirectoryGroup.key).where(DirectoryGroup.key.in_(spec.groups))))
    missing = [g for g in spec.groups if g not in known]
    if missing:
        return f"no group {missing[0]!r} in the directory"
    if not spec.channels or any(c not in CHANNELS for c in spec.channels):
        return f"choose channels among {', '.join(CHANNELS)}"
    if spec.question is not None and spec.question not in QUESTIONS:
        return f"no question {spec.question!r}; use one of {', '.join(QUESTIONS)}"
    return None


def draft(s: Session, spec: Spec, actor: Actor, two_person_rule: bool, now: datetime | None = None) -> Outcome:
    """A new broadcast; sent at once unless it waits for a second person (rule 2)."""
    now = now or utcnow()
    problem = _invalid(s, spec)
    if problem:
        return Outcome(False, "invalid", problem)
    b = Broadcast(title=(spec.title.strip() or next(v for v in spec.bodies.values() if v.strip())[:60])[:200],
                  bodies={k: v.strip()[:2000] for k, v in spec.bodies.items() if v.strip()},
                  question=spec.question, channels=list(dict.fromkeys(spec.channels)), groups=list(spec.groups),
                  retry_minutes=spec.retry_minutes, help_type=spec.help_type, source=spec.source, stage=spec.stage,
                  incident_id=spec.incident_id, two_person=two_person_rule and spec.approved_by is None,
                  created_by=actor.who, created_at=now, state=BroadcastState.DRAFT)
    s.add(b)
    s.flush()
    audited(s, "broadcast.drafted", spec.incident_id, actor, broadcast_id=b.id, groups=b.groups, channels=b.channels,
            question=b.question, source=b.source)
    if b.two_person:
        return Outcome(True, "drafted", f"broadcast {b.id} drafted; a second person must approve it",
                       (spec.incident_id,) if spec.incident_id else (), subject_id=b.id)
    approver = Actor(spec.approved_by, actor.channel) if spec.approved_by else actor
    return approve(s, b.id, approver, now)


def approve(s: Session, broadcast_id: int, actor: Actor, now: datetime | None = None) -> Outcome:
    now = now or utcnow()
    b = s.get(Broadcast, broadcast_id)
    if b is None:
        return Outcome(False, "no_broadcast", "no such broadcast")
    incidents = (b.incident_id,) if b.incident_id else ()
    if b.state != BroadcastState.DRAFT:
        return Outcome(False, "already_sent", f"already {b.state}", incidents, subject_id=b.id)
    if b.two_person and b.created_by == actor.who:
        return Outcome(False, "own_draft", "you drafted this broadcast: a second person must approve it",
                       incidents, subject_id=b.id)
    if not BROADCAST.move(s, b.id, BroadcastState.SENDING, only_from=(BroadcastState.DRAFT,),
                          values={"approved_by": actor.who, "approved_at": now}):
        return Outcome(False, "already_sent", "already approved by someone else", incidents, subject_id=b.id)
    s.refresh(b)
    pushable = set(s.scalars(select(PushSubscription.person_id).where(PushSubscription.gone_at.is_(None))))
    reached = fanout.fan_out(s, b, pushable, now)
    audited(s, "broadcast.approved", b.incident_id, actor, broadcast_id=b.id, recipients=reached)
    then: tuple[Followup, ...] = tuple(SendDue(c) for c in b.channels)
    return Outcome(True, "sending", f"broadcast {b.id} approved: sending to {reached} people", incidents,
                   subject_id=b.id, then=then)


def cancel(s: Session, broadcast_id: int, actor: Actor, now: datetime | None = None) -> Outcome:
    """Withdraw a draft, or stop sending: what is queued is not sent (what went out stays out)."""
    b = s.get(Broadcast, broadcast_id)
    if b is None:
        return Outcome(False, "no_broadcast", "no such broadcast")
    if not BROADCAST.move(s, broadcast_id, BroadcastState.CANCELLED, values={"ended_at": now or utcnow()}):
        return Outcome(False, "not_cancelled", f"it is {b.state}", subject_id=b.id)
    queued = s.scalars(select(Delivery.id).where(Delivery.broadcast_id == broadcast_id,
                                                 Delivery.state == DeliveryState.QUEUED))
    DELIVERY.move(s, list(queued), DeliveryState.SKIPPED, only_from=(DeliveryState.QUEUED,),
                  values={"error": f"broadcast stopped by {actor.who}"})
    audited(s, "broadcast.cancelled", b.incident_id, actor, broadcast_id=broadcast_id)
    return Outcome(True, "cancelled", f"broadcast {broadcast_id} stopped", subject_id=b.id)


def reply(s: Session, recipient_id: int, key: str, via: str, cfg: Config, *, delivery_id: int | None = None,
          now: datetime | None = None) -> Outcome:
    """A recipient's answer (rule 4), by SMS, keypress or link (`via`)."""
    now = now or utcnow()
    r = s.get(Recipient, recipient_id)
    b = s.get(Broadcast, r.broadcast_id) if r else None
    question = QUESTIONS.get(b.question or "") if b else None
    answer = question.answer(key) if question else None
    if r is None or b is None or answer is None or question is None:
        return Outcome(False, "not_an_answer", "not an answer to this broadcast")
    if b.state == BroadcastState.CANCELLED:
        return Outcome(False, "cancelled", "this broadcast was stopped", subject_id=b.id)
    actor = Actor(r.name, Channel.BROADCAST)
    if not RECIPIENT.move(s, r.id, RecipientState.ANSWERED, values={
            "answer": answer.key, "answered_at": now, "answered_via": via, "next_try_at": None}):
        return Outcome(False, "unchanged", subject_id=b.id)
    target = delivery_id or s.scalar(select(Delivery.id).where(Delivery.recipient_id == r.id,
                                                               Delivery.channel == r.channel))
    if target is not None:
        DELIVERY.move(s, target, DeliveryState.REPLIED)
    then: tuple[Followup, ...] = ()
    incident_id = r.help_incident_id
    if answer.needs_help:
        incident_id, then = _needs_help(s, r, b, question.label(answer.key, "en-US"), via, now)
    audited(s, "broadcast.replied", incident_id, actor, broadcast_id=b.id, recipient_id=r.id, answer=answer.key,
            by=via)
    return Outcome(True, "needs_help" if answer.needs_help else "answered", question.label(answer.key, r.language),
                   (incident_id,) if incident_id else (), subject_id=b.id, then=then)


def _needs_help(s: Session, r: Recipient, b: Broadcast, label: str, via: str,
                now: datetime) -> tuple[int | None, tuple[Followup, ...]]:
    """One incident per person: the first "I need help" claims the slot by a conditional UPDATE."""
    if not cast(CursorResult[Any], s.execute(
            update(Recipient).where(Recipient.id == r.id, Recipient.help_incident_id.is_(None))
            .values(help_incident_id=0))).rowcount:
        s.refresh(r)
        return r.help_incident_id or None, ()
    actor = Actor(r.name, Channel.BROADCAST)
    incident, opened = paging.open_report(s, type_key=b.help_type, lang=r.language, actor=actor, source="broadcast",
                                          severity="danger", page_at=now)
    if r.phone:
        paging.set_details(s, incident.id, {"caller": r.phone, "callback_number": r.phone}, actor)
    paging.add_note(s, incident.id, actor, f"{r.name} ({r.site or 'no site'}) answered \"{label}\" to broadcast "
                    f"#{b.id} \"{b.title}\" by {via}.")
    s.execute(update(Recipient).where(Recipient.id == r.id).values(help_incident_id=incident.id))
    return incident.id, opened.then


def open_question_for(s: Session, phone: str) -> Recipient | None:
    """The newest recipient row with this number whose broadcast is sending and asks a question."""
    return s.scalar(select(Recipient).join(Broadcast, Broadcast.id == Recipient.broadcast_id).where(
        Recipient.phone == phone, Broadcast.state == BroadcastState.SENDING, Broadcast.question.is_not(None))
        .order_by(Broadcast.id.desc()).limit(1))
