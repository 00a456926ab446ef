"""A sender's claims are judged by its life, not by a fixed minute: the claims of a sender that
died (SIGKILL) are taken again at the next pass of the cycle, seconds later, and none is sent
twice; the claims of a sender that lives are never taken, however old their last renewal is
within the lease (hotline.broadcasts.claims, hotline.broadcasts.sending.DEAD_GRACE)."""

from __future__ import annotations

import signal
import subprocess
import time
from datetime import timedelta

from sqlalchemy import update

from hotline.base.heartbeat import KILL_AFTER, Beat
from hotline.base.models import utcnow
from hotline.broadcasts import claims
from hotline.broadcasts.models import Delivery, DeliveryState
from hotline.broadcasts.sending import DEAD_GRACE, STALE
from tests.support.broadcasts import deliveries, group, people, send, staff_csv, texts_to
from tests.support.sandbox import Hotline

PEOPLE = 8


def test_a_dead_senders_claims_are_taken_again_at_once_and_a_living_ones_never(h: Hotline) -> None:
    people(h, staff_csv(PEOPLE, "+8869124", "Claims"))
    group(h, "claims", "department = Claims")
    b = send(h, ("claims",), ("sms",), question=None)
    h.wait_for(lambda: all(d.state == DeliveryState.DELIVERED for d in deliveries(h, b)) and deliveries(h, b),
               what="every text delivered")
    ids = [d.id for d in deliveries(h, b)]
    dying, living = ids[: PEOPLE // 2], ids[PEOPLE // 2:]
    dead = subprocess.Popen(["sleep", "300"])  # two senders: one that will die, one that lives
    alive = subprocess.Popen(["sleep", "300"])
    try:
        # As both left their rows: claimed, each text taken by Twilio, neither recorded; the last
        # renewal of the claims older than DEAD_GRACE, well inside STALE.
        claimed_at = utcnow() - DEAD_GRACE - timedelta(seconds=2)
        with h.session() as s:
            for rows, who in ((dying, claims.of(dead.pid)), (living, claims.of(alive.pid))):
                s.execute(update(Delivery).where(Delivery.id.in_(rows)).values(
                    state=DeliveryState.SENDING, claimed_at=claimed_at, claimed_by=who, provider_id=None,
                    sent_at=None, delivered_at=None))
        h.converge()
        assert {d.state for d in deliveries(h, b)} == {DeliveryState.SENDING}, "nobody died yet: nothing is taken"

        dead.send_signal(signal.SIGKILL)
        dead.wait()
        report = h.converge()  # the very next pass, at the real time
        by_id = {d.id: d for d in deliveries(h, b)}
        assert [by_id[i].state for i in dying] == [DeliveryState.SENT] * len(dying), "a dead sender's claims wait"
        assert all(by_id[i].provider_id for i in dying)  # found at Twilio, recorded, not sent again
        assert report["broadcast_requeued"] == []
        assert [(by_id[i].state, by_id[i].claimed_by) for i in living] == \
            [(DeliveryState.SENDING, claims.of(alive.pid))] * len(living), "a living sender's claims were taken"

        for _ in range(3):  # and again, passes later: a living sender keeps them
            time.sleep(0.5)
            h.converge()
        assert {d.state for d in deliveries(h, b) if d.id in living} == {DeliveryState.SENDING}
        sent = texts_to(h, "+8869124")
        assert len(sent) == PEOPLE and max(sent.values()) == 1, f"sent twice: {sent}"
    finally:
        for proc in (dead, alive):
            proc.kill()
            proc.wait()
    h.converge()  # the second sender is gone too: its claims as well
    assert {d.state for d in deliveries(h, b)} == {DeliveryState.SENT}
    assert max(texts_to(h, "+8869124").values()) == 1


def beat(host: str, pid: int, age: float, now: float) -> Beat:
    return Beat(f"{host}/worker-{pid}", "worker", host, f"worker-{pid}", pid, now - age)


def test_a_claim_of_another_host_is_judged_by_its_heartbeat() -> None:
    now = 1_000_000.0
    stale, fresh, silent = "node-b 11 5", "node-b 12 5", "node-b 13 5"
    beats = [beat("node-b", 11, KILL_AFTER + 1, now), beat("node-b", 12, 1.0, now)]
    every = [stale, fresh, silent, "not a claimer", "here 99 7"]
    here_dead = claims.dead(every, "here", lambda pid, start: False, beats, now)
    assert here_dead == {stale, "here 99 7"}  # no beat at all (silent) says nothing
    # Redis down or just restarted: another host's beats are not judged; this host's processes are.
    assert claims.dead(every, "here", lambda pid, start: True, None, now) == set()
    assert STALE > DEAD_GRACE
