"""Paging never queues behind one slow Twilio request (issue #29, target 3).

Under an event flood the one callout worker ran page jobs one after another, each waiting on its
Calls.create, so a phone report made just after the flood's new incidents waited for all of their
dials (bench/events.py). The callout workers run.py starts (hotline.service.supervisor.WORKERS)
place a new incident's first call while another callout's Calls.create hangs at Twilio, and the
held request, once answered, is still the only call of its attempt.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rq.queue import Queue
from rq.worker import Worker, WorkerStatus
from sqlalchemy import select

from hotline.base import jobs
from hotline.base.lifecycle import Actor, Channel
from hotline.paging import commands
from hotline.paging.models import Attempt
from hotline.service.supervisor import WORKERS
from tests.support import e2e
from tests.support.e2e import CHEN
from tests.support.lanes import starts_processes
from tests.support.sandbox import Hotline


@pytest.fixture
@starts_processes
def h(redis_url: str, tmp_path: Path) -> Iterator[Hotline]:
    """A hotline with every incident in a callout of its own (no storm window), no worker yet."""
    hotline = e2e.hotline_without_storm_window(tmp_path, redis_url)
    yield hotline
    hotline.close()


def start_callout_workers(h: Hotline) -> None:
    """Every worker run.py starts for the callout queue, each as run.py starts it; back once each
    has finished its start-up pass and waits for jobs."""
    started = [h.start_worker(*queues) for queues in WORKERS.values() if "callout" in queues]
    queue = Queue("callout", connection=h.runtime.redis)
    h.wait_for(lambda: len([w for w in Worker.all(queue=queue) if w.get_state() == WorkerStatus.IDLE])
               == len(started), timeout=120, what="the callout workers waiting for jobs")


def page_due(h: Hotline, n: int) -> int:
    """A report whose caller hung up: its page job is queued, as the webhook queues it."""
    with h.session() as s:
        incident_id = commands.report(s, call_sid=f"CAworkers{n:025d}", type_key="other",
                                      lang="en-US", caller=f"+8869552{n:05d}", actor=Actor("caller", Channel.CALLER),
                                      record_max_seconds=60).incident_ids[0]
    jobs.run(commands.caller_done, incident_id)
    return incident_id


def first_attempt(h: Hotline, incident_id: int) -> Attempt | None:
    callout = e2e.callout_of(h, incident_id)
    if callout is None:
        return None
    with h.session() as s:
        return s.scalar(select(Attempt).where(Attempt.callout_id == callout.id).order_by(Attempt.id).limit(1))


def test_a_first_dial_is_placed_while_another_callouts_calls_create_hangs(h: Hotline) -> None:
    start_callout_workers(h)
    held = h.sim.hold_next_create()
    # What the first attempt's own worker knew when the second call reached Twilio: still waiting
    # on its request (claimed, no try failed), not moved on after its client gave up on it.
    seen: dict[str, Any] = {}
    original, lock = h.sim.create_outbound_call, threading.Lock()

    def create(to: str, from_: str, options: Any) -> Any:
        with lock:
            if "first" in seen and "second" not in seen:
                attempt = first_attempt(h, seen["first"])
                seen["second"] = (attempt.place_tries, attempt.placing_at is not None) if attempt else None
        return original(to, from_, options)

    h.sim.create_outbound_call = create  # type: ignore[method-assign]
    try:
        seen["first"] = first = page_due(h, 0)
        h.wait_for(held.arrived.is_set, timeout=60, what="the first callout's Calls.create, held at Twilio")
        second = page_due(h, 1)
        placed = h.wait_for(lambda: (a := first_attempt(h, second)) and a.call_sid, timeout=60,
                            what="the second incident's first call")
        assert seen["second"] == (0, True), "the second call waited for the first one's request to give up"
        assert [c.sid for c in e2e.outbound_to(h, CHEN)] == [placed]  # the held one is not placed yet
    finally:
        held.release()
    h.wait_for(lambda: (a := first_attempt(h, first)) and a.call_sid, timeout=60, what="the held call, answered")
    calls = e2e.outbound_to(h, CHEN)
    assert len(calls) == 2, "someone was rung twice for one attempt"
    sids = {a.call_sid for a in (first_attempt(h, first), first_attempt(h, second)) if a is not None}
    assert sids == {c.sid for c in calls}
