"""A delivery's life after it was handed to a channel: what the provider said at once (sent,
refused), what its status callbacks say later (delivered, undelivered), and what that means for
the recipient (reached; or on to their next channel, at once when a channel failed, after
`retry_minutes` when a question is still unanswered).

Every move goes through the machines of `hotline.broadcasts.models` (compare-and-set), so a
status callback that beats the sender's own record, a duplicated callback or a second cycle on
another node changes nothing twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline.broadcasts.followups import SendDue
from hotline.broadcasts.models import (
    DELIVERY,
    RECIPIENT,
    Broadcast,
    BroadcastState,
    Delivery,
    DeliveryState,
    Recipient,
    RecipientState,
)

D = DeliveryState
# Twilio's words, per channel, mapped to ours where they arrive (None: nothing to record).
# A text's "sent" is not written: its sender writes that down itself a fraction of a second later
# (hotline.broadcasts.sending.RECORD_EVERY), and a dead sender's text is moved by its final
# callback or found at Twilio; the write it would cost per text comes at the busiest moment.
SMS_STATUS = {"queued": None, "accepted": None, "sending": None, "scheduled": None, "sent": None,
              "delivered": D.DELIVERED, "read": D.DELIVERED, "undelivered": D.FAILED, "failed": D.FAILED,
              "canceled": D.FAILED}
CALL_STATUS = {"queued": None, "initiated": D.SENT, "ringing": D.SENT, "in-progress": D.DELIVERED,
               "answered": D.DELIVERED, "completed": D.DELIVERED, "busy": D.FAILED, "no-answer": D.FAILED,
               "failed": D.FAILED, "canceled": D.FAILED}
REACHED_BY = {"sms": D.DELIVERED, "voice": D.DELIVERED, "email": D.SENT, "push": D.SENT}  # as far as we can know
MAX_TRIES = 8
NEWLY_DUE = "broadcast_channels_due"  # Session.info key: channels a failure moved someone on to


def sent(s: Session, delivery_id: int, provider_id: str, now: datetime) -> None:
    """The provider took the message. A status callback may have recorded it already (it came
    back before Messages.create returned): then only the id is filled in."""
    if not DELIVERY.move(s, delivery_id, D.SENT, only_from=(D.SENDING,),
                         values={"provider_id": provider_id, "sent_at": now}):
        s.execute(update(Delivery).where(Delivery.id == delivery_id, Delivery.provider_id.is_(None))
                  .values(provider_id=provider_id, sent_at=now))
    _settle(s, delivery_id, D.SENT, now)


def sent_many(s: Session, texts: list[tuple[int, str]], now: datetime) -> None:
    """`sent` for many texts at once, in two statements for the lot (a sender writes down what
    it sent a few times a second). A text is reached only once delivered, so nothing to settle."""
    DELIVERY.move(s, [delivery_id for delivery_id, _ in texts], D.SENT, only_from=(D.SENDING,),
                  values={"sent_at": now})
    table = Delivery.__table__
    s.connection().execute(update(table).where(table.c.id == bindparam("delivery"), table.c.provider_id.is_(None))
                           .values(provider_id=bindparam("sid"), sent_at=now),
                           [{"delivery": delivery_id, "sid": sid} for delivery_id, sid in texts])


def again_later(s: Session, delivery_id: int, error: str, now: datetime, after: timedelta) -> None:
    """A passing failure (429, 5xx, no connection): queued again, unless it failed too often."""
    tries = s.scalar(select(Delivery.tries).where(Delivery.id == delivery_id)) or 0
    if tries >= MAX_TRIES:
        failed(s, delivery_id, f"{error} (after {tries} tries)", now)
        return
    DELIVERY.move(s, delivery_id, D.QUEUED, only_from=(D.SENDING,), values={"due_at": now + after, "error": error})


def failed(s: Session, delivery_id: int, error: str, now: datetime, state: str = D.FAILED) -> None:
    if DELIVERY.move(s, delivery_id, state, only_from=(D.QUEUED, D.SENDING, D.SENT), values={"error": error[:2000]}):
        _next_channel_now(s, delivery_id, now)


def status(s: Session, delivery_id: int, channel: str, word: str, provider_id: str | None, error: str | None,
           now: datetime) -> str | None:
    """A provider status callback; returns the state it moved the delivery to, if any.

    Everything it needs is read before its first write, and the move writes the provider's id
    too: on SQLite, the one writer is held from a transaction's first write to its commit, and
    during a broadcast every text brings its callbacks while the senders write as well. A
    callback that moves nothing (a late or repeated one) writes nothing."""
    target = (SMS_STATUS if channel == "sms" else CALL_STATUS).get(word.lower())
    if target is None:
        return None
    known = s.execute(select(Delivery.state, Delivery.recipient_id, Delivery.channel, Broadcast.question)
                      .join(Broadcast, Broadcast.id == Delivery.broadcast_id).where(Delivery.id == delivery_id)).first()
    if known is None or not DELIVERY.can(known.state, target):
        return None
    values: dict[str, object] = {}
    if target == D.DELIVERED:
        values["delivered_at"] = now
    if target == D.SENT:
        values["sent_at"] = now
    if target == D.FAILED:
        values["error"] = (error or word)[:2000]
    if provider_id:
        values["provider_id"] = func.coalesce(Delivery.__table__.c.provider_id, provider_id)
    if not DELIVERY.move(s, delivery_id, target, values=values):
        return None
    if target == D.FAILED:
        _next_channel_now(s, delivery_id, now)
    elif known.question is None and (target == D.DELIVERED or REACHED_BY.get(known.channel) == target):
        _reached(s, known.recipient_id)
    return target


def _settle(s: Session, delivery_id: int, reached: str, now: datetime) -> None:
    """Without a question, a message that arrived is the end of it for that person."""
    row = s.execute(select(Delivery.recipient_id, Delivery.channel, Broadcast.question)
                    .join(Broadcast, Broadcast.id == Delivery.broadcast_id).where(Delivery.id == delivery_id)).first()
    if row is None or row.question is not None:
        return
    arrived = reached == D.DELIVERED or REACHED_BY.get(row.channel) == reached
    if arrived:
        _reached(s, row.recipient_id)


def _reached(s: Session, recipient_id: int) -> None:
    RECIPIENT.move(s, recipient_id, RecipientState.REACHED,
                   only_from=(RecipientState.WAITING, RecipientState.UNREACHABLE), values={"next_try_at": None})


def _next_channel_now(s: Session, delivery_id: int, now: datetime) -> None:
    recipient_id = s.scalar(select(Delivery.recipient_id).where(Delivery.id == delivery_id))
    if recipient_id is not None:
        s.execute(update(Recipient).where(Recipient.id == recipient_id, Recipient.state == RecipientState.WAITING)
                  .values(next_try_at=now))
        channel = advance(s, recipient_id, now)
        if channel:
            s.info.setdefault(NEWLY_DUE, set()).add(channel)


def newly_due(s: Session) -> tuple[SendDue, ...]:
    """The channels this session queued a message on (a failed text's call, due now): the caller
    starts their senders once it has committed, rather than leaving them to the next cycle."""
    return tuple(SendDue(channel) for channel in sorted(s.info.pop(NEWLY_DUE, set())))


def advance(s: Session, recipient_id: int, now: datetime) -> str | None:
    """A waiting recipient whose time is up: their next channel, queued now; or, with none left,
    unreachable if every message failed (else they stay "has not answered"). Returns the new
    channel. Claimed by a conditional UPDATE on `step`, so two cycles never add two messages."""
    r = s.execute(select(Recipient.step, Recipient.plan, Recipient.broadcast_id, Recipient.state)
                  .where(Recipient.id == recipient_id)).first()
    if r is None or r.state != RecipientState.WAITING:
        return None
    state = s.scalar(select(Broadcast.state).where(Broadcast.id == r.broadcast_id))
    if state != BroadcastState.SENDING:
        return None
    retry = s.scalar(select(Broadcast.retry_minutes).where(Broadcast.id == r.broadcast_id)) or 10
    nxt = r.step + 1
    channel = r.plan[nxt] if nxt < len(r.plan) else None
    claimed = cast(CursorResult[Any], s.execute(
        update(Recipient).where(Recipient.id == recipient_id, Recipient.step == r.step, Recipient.next_try_at <= now)
        .values(step=nxt if channel else r.step, channel=channel or Recipient.channel,
                next_try_at=now + timedelta(minutes=retry) if channel else None))).rowcount
    if not claimed:
        return None
    if channel is None:
        states = set(s.scalars(select(Delivery.state).where(Delivery.recipient_id == recipient_id)))
        if states <= {D.FAILED, D.SKIPPED}:
            RECIPIENT.move(s, recipient_id, RecipientState.UNREACHABLE, only_from=(RecipientState.WAITING,))
        return None
    try:
        with s.begin_nested():
            s.add(Delivery(broadcast_id=r.broadcast_id, recipient_id=recipient_id, channel=channel,
                           state=D.QUEUED, due_at=now))
    except IntegrityError:
        return None
    return channel


def due_to_advance(s: Session, now: datetime, limit: int = 1000) -> list[int]:
    return list(s.scalars(select(Recipient.id).join(Broadcast, Broadcast.id == Recipient.broadcast_id).where(
        Broadcast.state == BroadcastState.SENDING, Recipient.state == RecipientState.WAITING,
        Recipient.next_try_at <= now).order_by(Recipient.next_try_at).limit(limit)))
