"""The sending engine: claim due deliveries, send them at the provider's rate, write down what
happened; and find deliveries a dead worker left half done.

- A delivery is claimed by one conditional UPDATE (queued -> sending, through `DELIVERY`), so two
  workers never take the same row; the claim is committed before anything is sent.
- Each message waits for its slot from the channel's schedule (`hotline.broadcasts.ratelimit`),
  shared by every worker and reserved a few at a time, then goes out on a thread pool of
  `hotline.provider.rest.IN_FLIGHT` (the provider's answer takes longer than the rate allows
  between messages; the REST client keeps a connection for each).
- A claim names its sender (`claimed_by`, hotline.broadcasts.claims), and the sender renews the
  claims it still holds every `RENEW` (a lease). A row is taken again when its sender is known
  dead (its process gone, or its heartbeat stale) and its lease is `DEAD_GRACE` old, which is
  seconds after a kill; or, whoever holds it, when its lease is `STALE` (a sender that cannot
  be judged, or one alive whose job was stopped). A claim of a living sender that renews it is
  never taken. A row taken again is looked up at the provider before it is sent again:
  an SMS that Twilio holds (the same body to the same number, under no SID we know) is recorded
  as sent, so nothing is sent twice. A
  call leaves a trace sooner: its `initiated` status callback, which moves the row on its own.
  Email and push cannot be asked; they go again with the same Message-ID or push tag, which
  mail systems and the service worker treat as the same message.
- A text still `sent` after `UNCONFIRMED` (its delivered/undelivered callback never came: our
  server was down or too slow, and the callback was lost) is asked about at Twilio, so its
  state, and the person's next channel, never hang on one lost callback for long.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from redis.exceptions import RedisError
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from hotline.base.config import Config
from hotline.base.models import utcnow
from hotline.base.runtime import get_runtime
from hotline.broadcasts import claims, deliveries, optouts, outgoing
from hotline.broadcasts.models import (
    DELIVERY,
    Broadcast,
    BroadcastState,
    Delivery,
    DeliveryState,
    PushSubscription,
    Recipient,
)
from hotline.broadcasts.ratelimit import TokenBucket, batch_for
from hotline.broadcasts.settings import BroadcastSettings
from hotline.broadcasts.webpush import Subscription
from hotline.provider import dialer, rest

log = logging.getLogger("broadcasts.sending")
D = DeliveryState
PARALLEL = rest.IN_FLIGHT  # requests in flight per worker (the rate times the provider's answer time, and more)
STALE = timedelta(seconds=60)  # a claim not renewed this long is taken again, whoever holds it
RENEW = 2.0  # seconds between renewals of a sender's claims: well inside STALE and DEAD_GRACE
RECORD_EVERY = 0.25  # seconds between the writes of what a sender has sent
# A claim of a sender known dead (hotline.broadcasts.claims) not renewed this long is taken again:
# its sender died at least DEAD_GRACE - RENEW ago, long after any request it had on the wire
# reached the provider, so the provider's answer to "did you get it?" is final.
DEAD_GRACE = timedelta(seconds=10)
# A text without its final callback this long after it was sent is asked about at Twilio (a
# callback is lost when our server is down or too slow to answer Twilio within its timeout, and
# Twilio does not send it again); one Twilio still calls "sent" is asked again ASK_AGAIN later.
UNCONFIRMED = timedelta(seconds=20)
ASK_AGAIN = timedelta(minutes=2)
CONFIRM_SECONDS = 3.0  # at most this long of a convergence pass goes to asking
BUDGET_SECONDS = 30.0  # a job sends for this long, then leaves the rest to the next job
RATE_LIMITED_AFTER = timedelta(seconds=2)
TRANSIENT_AFTER = timedelta(seconds=15)


def batch_size(rate: float) -> int:
    """About a second of sending: a claim never holds rows long before they are sent."""
    return max(1, min(250, int(rate)))


def claim(s: Session, channel: str, now: datetime, limit: int) -> list[int]:
    due = list(s.scalars(select(Delivery.id).join(Broadcast, Broadcast.id == Delivery.broadcast_id).where(
        Delivery.state == D.QUEUED, Delivery.channel == channel, Delivery.due_at <= now,
        Broadcast.state == BroadcastState.SENDING).order_by(Delivery.due_at, Delivery.id).limit(limit)))
    if not due:
        return []
    return DELIVERY.move(s, due, D.SENDING, only_from=(D.QUEUED,),
                         values={"claimed_at": now, "claimed_by": claims.me(),
                                 "tries": Delivery.__table__.c.tries + 1})


def outgoing_for(s: Session, ids: list[int]) -> list[outgoing.Outgoing]:
    rows = s.execute(select(Delivery.id, Delivery.channel, Recipient, Broadcast)
                     .join(Recipient, Recipient.id == Delivery.recipient_id)
                     .join(Broadcast, Broadcast.id == Delivery.broadcast_id).where(Delivery.id.in_(ids))
                     .order_by(Delivery.id)).all()
    pushes: dict[int, list[Subscription]] = {}
    if any(row.channel == "push" for row in rows):
        wanted = [row.Recipient.person_id for row in rows if row.channel == "push"]
        for sub in s.scalars(select(PushSubscription).where(PushSubscription.person_id.in_(wanted),
                                                            PushSubscription.gone_at.is_(None))):
            pushes.setdefault(sub.person_id, []).append(Subscription(sub.endpoint, sub.p256dh, sub.auth))
    out = []
    for row in rows:
        r, b = row.Recipient, row.Broadcast
        body = b.bodies.get(r.language) or next(iter(b.bodies.values()), "")
        out.append(outgoing.Outgoing(row.id, b.id, r.person_id, row.channel, r.phone, r.email, r.language, b.title,
                                     body, b.question, tuple(pushes.get(r.person_id, ()))))
    return out


def send_due(channel: str, budget: float = BUDGET_SECONDS) -> int:
    """Send what is due on `channel` for up to `budget` seconds; returns how many went out.

    A pipeline, not batches sent and then recorded: about a second of rows is claimed while the
    pool still has work (so it never runs dry waiting for the slowest request of a batch), and
    each result is written down by the lease's thread within `RECORD_EVERY`, a group per short
    transaction, instead of one long transaction per batch that held SQLite's one writer (and so
    every status callback) for seconds. Without Redis there is no rate limiter: the job claims
    no more and ends (what it holds is queued again once), rather than claiming row after row
    only to queue each again, a try spent every `RATE_LIMITED_AFTER` for as long as Redis is
    down; the cycle starts the senders again."""
    rt = get_runtime()
    cfg, settings = rt.config, rt.config.section(BroadcastSettings)
    rate = settings.rates[channel]
    bucket = TokenBucket(rt.redis, channel, rate, batch_for(rate))
    deadline = time.monotonic() + budget
    flight = _InFlight()

    no_limiter = threading.Event()  # Redis is gone: claim no more (each would only be queued again)

    def one(out: outgoing.Outgoing) -> None:
        try:
            try:
                if no_limiter.is_set():
                    raise RedisError("unreachable a moment ago")
                bucket.take()
            except (RedisError, OSError) as exc:  # no token without Redis (restarting): not sent, queued again
                no_limiter.set()
                lease.done(out, outgoing.Result(error=f"no rate limiter ({exc})", rate_limited=True))
                return
            result = outgoing.send(cfg, settings, out)
            lease.done(out, result)
            if result.provider_id:
                bucket.taken()
            elif result.rate_limited:
                try:
                    bucket.penalise()
                except (RedisError, OSError):
                    no_limiter.set()
        except Exception:  # noqa: BLE001 - a bug, not a provider's answer: the row stays claimed (see STALE)
            log.exception("delivery %s: sending failed unexpectedly; left to the stale-claim check", out.delivery_id)
        finally:
            flight.add(-1)

    with _Lease() as lease, ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        while time.monotonic() < deadline and not no_limiter.is_set():
            if not flight.wait_below(PARALLEL + 1, timeout=1.0):  # claim when the pool is about to run out
                continue
            with rt.db.session() as s:
                ids = claim(s, channel, utcnow(), batch_size(rate))
                batch = outgoing_for(s, ids) if ids else []
            if not batch:
                break
            lease.hold(ids)
            flight.add(len(batch))
            for out in batch:
                pool.submit(one, out)
    return lease.sent


class _InFlight:
    """How many messages are submitted and not yet finished."""

    def __init__(self) -> None:
        self.count, self.changed = 0, threading.Condition()

    def add(self, n: int) -> None:
        with self.changed:
            self.count += n
            self.changed.notify_all()

    def wait_below(self, n: int, timeout: float) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: self.count < n, timeout=timeout)


class _Lease:
    """The rows a sender holds: every RECORD_EVERY, what was sent is written down (one short
    transaction for the lot), and the rows still `sending` get a fresh `claimed_at` every RENEW,
    so the cycle never mistakes a slow but living sender for a dead one. Whatever is left is
    written down on the way out."""

    def __init__(self) -> None:
        self.held: set[int] = set()
        self.results: list[tuple[outgoing.Outgoing, outgoing.Result]] = []
        self.sent = 0
        self.lock, self.stop = threading.Lock(), threading.Event()
        self.thread = threading.Thread(target=self._run, name="broadcast-lease", daemon=True)

    def __enter__(self) -> _Lease:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()
        self._record()  # what finished after the thread's last pass

    def hold(self, ids: list[int]) -> None:
        with self.lock:
            self.held.update(ids)

    def done(self, out: outgoing.Outgoing, result: outgoing.Result) -> None:
        with self.lock:
            self.results.append((out, result))

    def _run(self) -> None:
        renewed = time.monotonic()
        while not self.stop.wait(RECORD_EVERY):
            try:
                self._record()
                if time.monotonic() - renewed >= RENEW:
                    renewed = time.monotonic()
                    self._renew()
            except Exception:  # noqa: BLE001 - tried again next pass; STALE and DEAD_GRACE allow several
                log.warning("could not record or renew the claims of %d deliveries", len(self.held), exc_info=True)

    def _record(self) -> None:
        with self.lock:
            results, self.results = self.results, []
        if not results:
            return
        try:
            with get_runtime().db.session() as s:
                record_many(s, results, utcnow())
        except BaseException:
            with self.lock:
                self.results[:0] = results
            raise
        with self.lock:
            self.held.difference_update(out.delivery_id for out, _ in results)
            self.sent += sum(1 for _, result in results if result.provider_id)

    def _renew(self) -> None:
        with self.lock:
            ids = list(self.held)
        if ids:
            with get_runtime().db.session() as s:
                s.execute(update(Delivery).where(Delivery.id.in_(ids), Delivery.state == D.SENDING)
                          .values(claimed_at=utcnow()))


def record_many(s: Session, results: list[tuple[outgoing.Outgoing, outgoing.Result]], now: datetime) -> None:
    """`record` for many results: the texts the provider took in two statements for the lot."""
    texts = [(out.delivery_id, result.provider_id) for out, result in results
             if out.channel == "sms" and result.provider_id and not result.gone]
    if texts:
        deliveries.sent_many(s, texts, now)
    for out, result in results:
        if not (out.channel == "sms" and result.provider_id and not result.gone):
            record(s, out, result, now)


def record(s: Session, out: outgoing.Outgoing, result: outgoing.Result, now: datetime) -> None:
    for endpoint in result.gone:
        s.execute(PushSubscription.__table__.update().where(PushSubscription.endpoint == endpoint)
                  .values(gone_at=now))
    if result.provider_id:
        deliveries.sent(s, out.delivery_id, result.provider_id, now)
    elif result.opted_out and out.phone:
        optouts.record(s, out.phone, "twilio 21610", now)
        deliveries.failed(s, out.delivery_id, result.error or "opted out", now, D.SKIPPED)
    elif result.permanent:
        deliveries.failed(s, out.delivery_id, result.error or "refused", now)
    else:
        after = RATE_LIMITED_AFTER if result.rate_limited else TRANSIENT_AFTER
        deliveries.again_later(s, out.delivery_id, result.error or "failed", now, after)


def reconcile_stale(now: datetime, limit: int = 200) -> list[int]:
    """Deliveries a dead worker left `sending`: recorded as sent where the provider has them,
    queued again where it does not. Returns the ids queued again."""
    rt = get_runtime()
    cfg = rt.config
    with rt.db.session() as s:
        held: set[str] = {c for c in s.scalars(select(Delivery.claimed_by).where(
            Delivery.state == D.SENDING, Delivery.claimed_at < now - DEAD_GRACE).distinct()) if c}
        gone = claims.dead_now(rt.redis if held else None, held) if held else set()
        taken = or_(Delivery.claimed_at < now - STALE,
                    and_(Delivery.claimed_at < now - DEAD_GRACE, Delivery.claimed_by.in_(gone)))
        stale = [(o, o.delivery_id) for o in outgoing_for(s, list(s.scalars(select(Delivery.id).where(
            Delivery.state == D.SENDING, taken).order_by(Delivery.id).limit(limit))))]
    again = []
    for out, delivery_id in stale:
        try:
            sid = _already_sent(cfg, out) if out.channel == "sms" else None
        except dialer.DialerError as exc:  # the provider cannot say now: the row waits for the next pass
            log.warning("delivery %s: cannot ask the provider whether it was sent (%s)", delivery_id, exc)
            continue
        with rt.db.session() as s:
            if sid is not None:
                deliveries.sent(s, delivery_id, sid, now)
                log.warning("delivery %s: its worker died after sending it (%s); recorded, not sent again",
                            delivery_id, sid)
            elif DELIVERY.move(s, delivery_id, D.QUEUED, only_from=(D.SENDING,),
                               values={"due_at": Delivery.__table__.c.claimed_at,  # it keeps its place
                                       "error": "its worker stopped before recording it"}):
                again.append(delivery_id)
    return again


def _already_sent(cfg: Config, out: outgoing.Outgoing) -> str | None:
    """A message Twilio holds with this body for this number whose SID no delivery of ours has."""
    body = outgoing.sms_text(cfg, out)
    held = [sid for sid, text in dialer.messages_to(out.phone or "", cfg.numbers[0]) if text == body]
    if not held:
        return None
    with get_runtime().db.session() as s:
        known = set(s.scalars(select(Delivery.provider_id).where(Delivery.provider_id.in_(held))))
    return next((sid for sid in held if sid not in known), None)


def confirm_unconfirmed(now: datetime, limit: int = 100, budget: float = CONFIRM_SECONDS) -> list[int]:
    """Texts whose final status callback has not come `UNCONFIRMED` after they were sent (or
    `ASK_AGAIN` after they were last asked about): their status fetched from Twilio and recorded
    as a callback would have, for up to `budget` seconds of a pass. Returns the ids that moved."""
    rt = get_runtime()
    with rt.db.session() as s:
        rows = list(s.execute(select(Delivery.id, Delivery.provider_id).where(
            Delivery.state == D.SENT, Delivery.channel == "sms", Delivery.provider_id.is_not(None),
            or_(and_(Delivery.asked_at.is_(None), Delivery.sent_at < now - UNCONFIRMED),
                Delivery.asked_at < now - ASK_AGAIN)).order_by(func.coalesce(Delivery.asked_at, Delivery.sent_at))
            .limit(limit)))
    moved = []
    deadline = time.monotonic() + budget
    for delivery_id, sid in rows:
        assert sid is not None  # the query takes only deliveries with one
        if time.monotonic() > deadline:
            break
        try:
            found = dialer.message_status(sid)
        except dialer.DialerError as exc:
            log.warning("delivery %s: cannot ask Twilio for its status (%s)", delivery_id, exc)
            break
        with rt.db.session() as s:
            if found is None:
                deliveries.failed(s, delivery_id, "Twilio does not know this message", now)
                moved.append(delivery_id)
                continue
            word, code = found
            if deliveries.status(s, delivery_id, "sms", word, sid, f"{code}" if code else None, now):
                moved.append(delivery_id)
            else:  # still "sent" at Twilio: asked again later, and the others' turn first
                s.execute(update(Delivery).where(Delivery.id == delivery_id).values(asked_at=now))
    return moved
