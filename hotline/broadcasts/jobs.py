"""The broadcasts' jobs: senders per channel, and the convergence step that keeps them going.

A channel has `SLOTS` senders, each a job with its own dedupe id, so about that many send on a
channel at once across every worker (they share the rate through the token bucket). The id
carries the minute: a worker killed in the middle of a job leaves it "started" in Redis for good,
and would otherwise block its slot until RQ cleans it up; a new minute's id is free (two senders
of one slot overlapping for a moment is harmless: rows are claimed by compare-and-set). The
cycle enqueues the slots of every channel that has messages due, so a lost job or a Redis
restart only delays sending.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from hotline.base.cycle import CycleReport, guarded
from hotline.base.jobs import JobSpec, enqueue
from hotline.base.runtime import get_runtime
from hotline.broadcasts import deliveries, sending
from hotline.broadcasts.followups import SendDue
from hotline.broadcasts.models import (
    BROADCAST,
    Broadcast,
    BroadcastState,
    Delivery,
    DeliveryState,
    Recipient,
    RecipientState,
)

SLOTS = 2


def send_due(channel: str, slot: int, minute: int) -> int:
    """Send what is due on one channel (one of its `SLOTS` senders; `minute` only dedupes, and is
    negative for the run queued behind a running one)."""
    return sending.send_due(channel)


def start_senders(channel: str) -> None:
    """A sender already running may have looked for due rows before the caller's were written
    (an undelivered text's call, queued while the call sender finishes): a run behind it is queued
    too, under an id of its own, so the new rows never wait for the next cycle."""
    minute = int(time.time() // 60)
    for slot in range(SLOTS):
        job = enqueue(send_due, channel, slot, minute)
        if job is not None and job.get_status(refresh=False) == "started":
            enqueue(send_due, channel, slot, -minute)  # the run after the one in progress


def _due_channels(s: Session, now: datetime) -> list[str]:
    return list(s.scalars(select(Delivery.channel).join(Broadcast, Broadcast.id == Delivery.broadcast_id).where(
        Broadcast.state == BroadcastState.SENDING, Delivery.state == DeliveryState.QUEUED, Delivery.due_at <= now)
        .distinct()))


def _finish(s: Session, now: datetime) -> list[int]:
    """A broadcast without a question is done when nothing is left to send or to wait for; one
    with a question keeps taking answers until an admin stops it."""
    pending_delivery = exists().where(Delivery.broadcast_id == Broadcast.id,
                                      Delivery.state.in_((DeliveryState.QUEUED, DeliveryState.SENDING)))
    pending_person = exists().where(Recipient.broadcast_id == Broadcast.id, Recipient.state == RecipientState.WAITING,
                                    Recipient.next_try_at.is_not(None))
    done = list(s.scalars(select(Broadcast.id).where(Broadcast.state == BroadcastState.SENDING,
                                                     Broadcast.question.is_(None), ~pending_delivery, ~pending_person)))
    return BROADCAST.move(s, done, BroadcastState.DONE, values={"ended_at": now}) if done else []


def converge(now: datetime, report: CycleReport) -> None:
    """Stale claims back to the queue (or recorded as sent), texts whose final callback never
    came asked about, non-responders on to their next channel, senders for every channel with
    messages due, finished broadcasts closed."""
    report["broadcast_requeued"].extend(sending.reconcile_stale(now))
    report["broadcast_confirmed"].extend(sending.confirm_unconfirmed(now))
    db = get_runtime().db
    with db.session() as s:
        due = deliveries.due_to_advance(s, now)
    for recipient_id in due:
        def step(rid: int = recipient_id) -> None:
            with db.session() as s:
                channel = deliveries.advance(s, rid, now)
            if channel:
                report["broadcast_next_channel"].append(rid)
        guarded(step)
    with db.session() as s:
        channels = _due_channels(s, now)
        report["broadcasts_done"].extend(_finish(s, now))
    for channel in channels:
        start_senders(channel)
        report["broadcast_senders"].append(channel)


SPECS: dict[Callable[..., Any], JobSpec] = {
    send_due: JobSpec("broadcasts", 120, None,
                      lambda channel, slot, minute: f"broadcast-send-{channel}-{slot}-{minute}"),
}
FOLLOWUPS: dict[type[Any], Callable[[Any], object]] = {SendDue: lambda f: start_senders(f.channel)}
