"""Delivery you can trust: a broadcast's sender killed in the middle and Redis restarted (empty)
loses no message and sends none twice; texts refused by the provider's per-second limit (429,
20429) are sent again later, once; the shared token bucket holds every worker to the rate."""

from __future__ import annotations

import os
import signal
import time

import pytest
from redis import Redis

from hotline.base.models import utcnow
from hotline.broadcasts import sending
from hotline.broadcasts.models import DeliveryState, Recipient, RecipientState
from hotline.broadcasts.ratelimit import MAX_PENALTY, TokenBucket, batch_for
from hotline.broadcasts.sending import STALE
from hotline.service.embedded_redis import start_embedded_redis
from tests.support.broadcasts import deliveries, group, people, recipients, send, staff_csv, texts_to
from tests.support.sandbox import Hotline

SMS_PER_SECOND = 40
PEOPLE = 400


def test_a_killed_sender_and_a_redis_restart_lose_nothing_and_send_nothing_twice(h: Hotline):
    people(h, staff_csv(PEOPLE, "+8869123", "Ops", start=10000, sites=3))
    group(h, "crash", "department = Ops")
    b = send(h, ("crash",), ("sms",), question=None)
    h.wait_for(lambda: len(texts_to(h, "+88691231")) >= PEOPLE // 4, what="a quarter of the texts")

    sender = h.workers[-1]
    os.killpg(sender.pid, signal.SIGKILL)  # mid-batch: some rows claimed, some of those sent
    sender.wait()
    killed_at = utcnow()
    server = h.redis_server  # type: ignore[attr-defined]
    port = server.port
    server.stop()  # every queued job and the token bucket are gone
    h.redis_server = start_embedded_redis(h.tmp / "redis-again", port=port, persist=False)  # type: ignore[attr-defined]
    # Every queued job and the token bucket are gone. (The living processes write their own
    # presence again at once, RQ's worker keys and our heartbeats: those are not the point.)
    lost = (b"rq:job:", b"rq:queue:", b"hotline:broadcast:bucket:")
    assert [k for k in Redis(port=port).keys() if k.startswith(lost)] == []
    h.start_worker("broadcasts")

    def settled() -> bool:
        # The engine once the dead worker's claims are stale (STALE after it died; the living
        # worker's claims are younger and renewed), without waiting a real minute.
        h.converge(max(utcnow(), killed_at + STALE))
        return all(d.state == DeliveryState.DELIVERED for d in deliveries(h, b))

    h.wait_for(settled, timeout=120, what="every text delivered after the crash")
    sent = texts_to(h, "+88691231")
    assert len(sent) == PEOPLE, f"lost: {PEOPLE - len(sent)}"
    assert max(sent.values()) == 1, f"sent twice: {[n for n, c in sent.items() if c > 1]}"
    assert len(deliveries(h, b)) == PEOPLE
    assert all(r.state == RecipientState.REACHED for r in recipients(h, b).values())


def test_a_sender_without_redis_claims_no_more_and_spends_no_try_on_the_rest(h: Hotline):
    """No rate limiter without Redis: the sender gives back what it holds (queued again, one try
    spent) and ends, rather than claiming every due row only to queue it again, a try each time
    (after MAX_TRIES a text would fail for want of Redis). Once Redis is back, everything goes once."""
    people(h, staff_csv(3 * SMS_PER_SECOND, "+8869125", "Norate", start=30000, sites=3))
    group(h, "norate", "department = Norate")
    server = h.redis_server  # type: ignore[attr-defined]
    port = server.port
    server.stop()
    try:
        b = send(h, ("norate",), ("sms",), question=None)  # its senders cannot be queued: nobody sends
        assert sending.send_due("sms", budget=5.0) == 0
        tries = sorted(d.tries for d in deliveries(h, b))
        assert {d.state for d in deliveries(h, b)} == {DeliveryState.QUEUED}
        assert max(tries) == 1 and tries.count(1) <= sending.batch_size(SMS_PER_SECOND), tries
    finally:
        h.redis_server = start_embedded_redis(h.tmp / "redis-norate", port=port, persist=False)  # type: ignore[attr-defined]

    def settled() -> bool:
        h.converge()
        return all(d.state == DeliveryState.DELIVERED for d in deliveries(h, b))

    h.wait_for(settled, timeout=120, what="every text delivered once Redis is back")
    sent = texts_to(h, "+88691253")
    assert len(sent) == 3 * SMS_PER_SECOND and max(sent.values()) == 1


def test_texts_refused_with_429_go_again_once(h: Hotline):
    people(h, staff_csv(60, "+8869123", "Lab", start=20000, sites=3))
    group(h, "limited", "site = Site 1, Site 2; department = Lab")
    h.sim.delivery.configure(per_second=5)  # the provider allows less than we were told
    try:
        b = send(h, ("limited",), ("sms",), question=None)
        expected = {r.phone for r in recipients(h, b).values()}

        def settled() -> bool:
            h.converge()
            return all(d.state == DeliveryState.DELIVERED for d in deliveries(h, b))

        h.wait_for(settled, timeout=120, what="every text delivered despite 429s")
        assert h.sim.delivery.refused > 0
        sent = {n: c for n, c in texts_to(h, "+88691232").items() if n in expected}
        assert set(sent) == expected and max(sent.values()) == 1
        assert any("20429" in (d.error or "") for d in deliveries(h, b))
    finally:
        h.sim.delivery.configure(per_second=None)


def test_the_token_bucket_holds_every_taker_to_the_rate(h: Hotline):
    redis = Redis.from_url(h.config.redis_url)
    buckets = [TokenBucket(redis, "test", 20.0) for _ in range(3)]  # three workers, one limit
    start = time.monotonic()
    for i in range(60):
        assert buckets[i % 3].take()
    # One at once, then 59 more, never faster than the limit (20 a second, less a margin): 2.95 s at least.
    assert time.monotonic() - start >= 59 / 20


def test_slots_taken_in_batches_hold_every_taker_to_the_rate_with_one_round_trip_per_batch(h: Hotline):
    from concurrent.futures import ThreadPoolExecutor

    redis = Redis.from_url(h.config.redis_url)
    rate = 100.0
    buckets = [TokenBucket(redis, "batched", rate, batch_for(rate)) for _ in range(2)]  # two workers
    assert batch_for(rate) == 5 and batch_for(10.0) == 1  # never more than the margin's room in a second
    trips = [0]
    for bucket in buckets:
        reserve = bucket._reserve

        def counted(*args: object, _reserve=reserve, **kwargs: object) -> object:
            trips[0] += 1
            return _reserve(*args, **kwargs)

        bucket._reserve = counted  # type: ignore[assignment]
    start = time.monotonic()
    with ThreadPoolExecutor(8) as pool:  # four sending threads per worker
        assert all(pool.map(lambda i: buckets[i % 2].take(), range(200)))
    # Every slot is its own, 1 / (rate x margin) after the one before, whoever took it: 199 intervals at least.
    assert time.monotonic() - start >= 199 / (rate * 0.95)
    assert trips[0] <= 200 // 5 + 2  # one reservation per five slots (and one per worker left over at most)


def test_a_429_pauses_every_taker_briefly_then_longer_while_they_go_on(h: Hotline):
    """A 429 from jitter costs the gap of a batch of slots, not a second of sending; 429s in a row
    (the provider allows less than we were told) double the pause up to MAX_PENALTY; a text the
    provider took starts again from the shortest."""
    redis = Redis.from_url(h.config.redis_url)
    rate = 100.0
    first, other = (TokenBucket(redis, "penalised", rate, batch_for(rate)) for _ in range(2))
    shortest = batch_for(rate) / (rate * 0.95)
    pauses = [first.penalise() for _ in range(6)]
    assert pauses[0] == pytest.approx(shortest)
    assert pauses[1:5] == pytest.approx([shortest * 2 ** i for i in range(1, 5)])
    assert pauses[5] == MAX_PENALTY
    first.taken()
    assert first.penalise() == pytest.approx(shortest)
    start = time.monotonic()  # the shared schedule moved: another worker's next slot waits
    assert other.take()
    assert time.monotonic() - start >= MAX_PENALTY * 0.9


def test_texts_whose_final_callback_was_lost_are_asked_about(h: Hotline):
    from datetime import timedelta

    from sqlalchemy import update

    from hotline.broadcasts.models import Delivery
    from hotline.broadcasts.sending import UNCONFIRMED

    people(h, staff_csv(2, "+8869123", "Lost", start=30000, sites=3))
    group(h, "lost", "department = Lost")
    h.sim.delivery.configure(outcomes={"+886912330001": "undelivered"})
    b = send(h, ("lost",), ("sms", "voice"), question=None)
    h.wait_for(lambda: {d.state for d in deliveries(h, b) if d.channel == "sms"} == {DeliveryState.DELIVERED,
                                                                                      DeliveryState.FAILED},
               what="both texts settled")
    with h.session() as s:  # as if neither final callback had come: both still "sent", long ago
        s.execute(update(Delivery).where(Delivery.broadcast_id == b, Delivery.channel == "sms").values(
            state=DeliveryState.SENT, sent_at=utcnow() - UNCONFIRMED - timedelta(seconds=1)))
        s.execute(update(Recipient).where(Recipient.broadcast_id == b).values(state=RecipientState.WAITING))
    report = h.converge()
    assert len(report["broadcast_confirmed"]) == 2
    states = {d.recipient_id: d.state for d in deliveries(h, b) if d.channel == "sms"}
    assert sorted(states.values()) == [DeliveryState.DELIVERED, DeliveryState.FAILED]
    assert {r.name: r.state for r in recipients(h, b).values()}["Person 30000"] == RecipientState.REACHED
    assert any(d.channel == "voice" for d in deliveries(h, b))  # the undelivered one is called instead
