"""Broadcast tables, on the shared `Base`: the broadcast, each person it reaches, and each message
to each person on each channel.

- `Broadcast`: what is said (per language), to which groups, over which channels, and the
  question asked, if any; drafted by one person and sent once approved (`BROADCAST`).
- `Recipient`: one person of the directory, copied at approval (name, numbers, language, site,
  groups) so an edit of the directory never changes who a running broadcast reaches, with the
  channels to try in order, their answer, and when to move on to the next channel.
- `Delivery`: one message to one recipient on one channel, a durable row whose state the
  provider's status callbacks drive (`DELIVERY`): queued, sending (claimed by a worker), sent,
  delivered, failed, replied, or skipped (opted out). Sending claims rows with a conditional
  UPDATE, so a crashed worker or a Redis restart loses nothing and sends nothing twice.

Only `hotline.broadcasts.commands` and the sending engine (`hotline.broadcasts.sending`) write them.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.base.models import Base, utcnow
from hotline.base.state_machine import Machine


class BroadcastState(StrEnum):
    DRAFT = "draft"  # waiting for a second admin's approval (two-person rule)
    SENDING = "sending"  # approved: recipients and deliveries exist; the cycle sends what is due
    DONE = "done"  # nothing left to send or wait for
    CANCELLED = "cancelled"  # a draft withdrawn, or sending stopped by an admin


class DeliveryState(StrEnum):
    QUEUED = "queued"  # due at `due_at`
    SENDING = "sending"  # claimed by the sender `claimed_by` at `claimed_at`
    SENT = "sent"  # the provider took it (MessageSid, CallSid, SMTP accepted, push service 201)
    DELIVERED = "delivered"  # the provider says it arrived (SMS delivered, the call was answered)
    FAILED = "failed"  # refused or undelivered: the recipient moves on to their next channel
    REPLIED = "replied"  # the recipient answered the question through this message
    SKIPPED = "skipped"  # not sent: opted out, or no address left for that channel


class RecipientState(StrEnum):
    WAITING = "waiting"  # not answered (or, without a question, not yet reached)
    REACHED = "reached"  # no question: a message was delivered
    ANSWERED = "answered"
    UNREACHABLE = "unreachable"  # every channel failed


D, R, B = DeliveryState, RecipientState, BroadcastState
DELIVERY_MOVES: dict[str, tuple[str, ...]] = {
    D.QUEUED: (D.SENDING, D.SKIPPED, D.FAILED, D.REPLIED),
    D.SENDING: (D.QUEUED, D.SENT, D.DELIVERED, D.FAILED, D.SKIPPED, D.REPLIED),  # a callback may beat the record
    D.SENT: (D.DELIVERED, D.FAILED, D.REPLIED),
    D.DELIVERED: (D.REPLIED,),
    D.FAILED: (D.REPLIED,),  # "undelivered", yet they answered: the answer counts
    D.REPLIED: (),
    D.SKIPPED: (),
}
RECIPIENT_MOVES: dict[str, tuple[str, ...]] = {
    R.WAITING: (R.REACHED, R.ANSWERED, R.UNREACHABLE),
    R.REACHED: (R.ANSWERED,),
    R.UNREACHABLE: (R.ANSWERED, R.REACHED),  # a late answer or delivery still counts
    R.ANSWERED: (R.ANSWERED,),  # a changed answer ("safe", later "need help") replaces the first
}
BROADCAST_MOVES: dict[str, tuple[str, ...]] = {
    B.DRAFT: (B.SENDING, B.CANCELLED), B.SENDING: (B.DONE, B.CANCELLED), B.DONE: (B.SENDING,), B.CANCELLED: ()}


class Broadcast(Base):
    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    bodies: Mapped[dict[str, Any]] = mapped_column(default=dict)  # per language
    question: Mapped[str | None] = mapped_column(String(40))  # a key of hotline.broadcasts.questions
    channels: Mapped[list[Any]] = mapped_column(default=list)  # in the order they are tried
    groups: Mapped[list[Any]] = mapped_column(default=list)  # directory group keys
    retry_minutes: Mapped[int] = mapped_column(Integer, default=10)  # no answer: the next channel after this
    help_type: Mapped[str] = mapped_column(String(40), default="other")  # incident type of "I need help"
    state: Mapped[str] = mapped_column(String(20), default=BroadcastState.DRAFT, index=True)
    source: Mapped[str] = mapped_column(String(20), default="console")  # console | cli | plan | statement
    stage: Mapped[str | None] = mapped_column(String(20))  # a plan's first_notice | update | all_clear
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)  # the crisis's
    two_person: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    approved_by: Mapped[str | None] = mapped_column(String(64))
    approved_at: Mapped[datetime | None]
    recipients_total: Mapped[int] = mapped_column(Integer, default=0)
    queued_at: Mapped[datetime | None]  # every first delivery row written (bench/broadcast.py)
    ended_at: Mapped[datetime | None]


class Recipient(Base):
    __tablename__ = "broadcast_recipients"
    __table_args__ = (UniqueConstraint("broadcast_id", "person_id", name="uq_broadcast_person"),
                      Index("ix_recipient_phone_state", "phone", "state"))

    id: Mapped[int] = mapped_column(primary_key=True)
    broadcast_id: Mapped[int] = mapped_column(ForeignKey("broadcasts.id"), index=True)
    person_id: Mapped[int] = mapped_column(Integer, index=True)  # directory_people.id (the person may be removed)
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(16))
    site: Mapped[str] = mapped_column(String(80), default="")
    groups: Mapped[list[Any]] = mapped_column(default=list)
    plan: Mapped[list[Any]] = mapped_column(default=list)  # the channels to try, in order
    step: Mapped[int] = mapped_column(Integer, default=0)  # index into `plan` of the current channel
    channel: Mapped[str | None] = mapped_column(String(10))  # plan[step], or None: no channel left
    state: Mapped[str] = mapped_column(String(20), default=RecipientState.WAITING, index=True)
    next_try_at: Mapped[datetime | None] = mapped_column(index=True)  # still waiting then: the next channel
    answer: Mapped[str | None] = mapped_column(String(8))
    answered_at: Mapped[datetime | None]
    answered_via: Mapped[str | None] = mapped_column(String(20))
    help_incident_id: Mapped[int | None] = mapped_column(Integer)  # the incident their "I need help" opened


class Delivery(Base):
    __tablename__ = "broadcast_deliveries"
    __table_args__ = (UniqueConstraint("recipient_id", "channel", name="uq_delivery_channel"),
                      Index("ix_delivery_due", "state", "due_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    broadcast_id: Mapped[int] = mapped_column(ForeignKey("broadcasts.id"), index=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("broadcast_recipients.id"), index=True)
    channel: Mapped[str] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(20), default=DeliveryState.QUEUED)
    due_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None]  # claimed or its claim renewed (a lease)
    claimed_by: Mapped[str | None] = mapped_column(String(120))  # "<host> <pid> <start>" (broadcasts.claims)
    provider_id: Mapped[str | None] = mapped_column(String(200), index=True)  # MessageSid, CallSid, Message-ID
    tries: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    asked_at: Mapped[datetime | None]  # its status last asked at Twilio, its final callback late (sending)
    delivered_at: Mapped[datetime | None]
    link_used_at: Mapped[datetime | None]  # its single-use reply link was used


class PushSubscription(Base):
    """A browser's Web Push subscription for a directory person (the console or the reporting app)."""

    __tablename__ = "push_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(Integer, index=True)
    endpoint: Mapped[str] = mapped_column(String(1000), unique=True)
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    gone_at: Mapped[datetime | None]  # the push service said 404/410: never used again


BROADCAST = Machine("broadcast", Broadcast, BROADCAST_MOVES)
RECIPIENT = Machine("recipient", Recipient, RECIPIENT_MOVES)
DELIVERY = Machine("delivery", Delivery, DELIVERY_MOVES)


class OptOut(Base):
    """A number that must never get a broadcast text: its owner texted STOP (Twilio then refuses
    with 21610 and we record it here), and kept until they text START. `hotline.broadcasts.optouts`
    is the one reader."""

    __tablename__ = "broadcast_opt_outs"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(32), unique=True)
    source: Mapped[str] = mapped_column(String(40))  # "twilio 21610", "sms STOP", ...
    at: Mapped[datetime] = mapped_column(default=utcnow)
