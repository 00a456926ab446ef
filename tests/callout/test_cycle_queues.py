"""The convergence cycle decides and queues; the workers place the calls (issue #29, target 4).

- A pass over several due incidents with a slow Twilio queues one drive per callout and places
  no call itself, so no incident's paging waits on another's request; a second pass queues no
  more; a worker then rings each of them.
- The safety net: with Redis down the pass places the calls itself (and tries Redis once per
  pass, not once per callout); with Redis up but no worker running, a callout still overdue
  `DRIVE_GRACE` after it fell due is driven by the pass.
- Each step's duration is exported (`hotline_cycle_step_seconds{step}`).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client import REGISTRY, generate_latest
from redis import Redis
from sqlalchemy import select, update

from hotline.base.lifecycle import Actor, Channel
from hotline.base.models import utcnow
from hotline.base.states import AttemptState
from hotline.paging import commands
from hotline.paging.callout import drive
from hotline.paging.commands import HANDOFF
from hotline.paging.cycle import DRIVE_GRACE
from hotline.paging.models import Attempt
from hotline.provider import rest
from tests.support import e2e
from tests.support.e2e import CHEN
from tests.support.lanes import starts_processes
from tests.support.sandbox import Hotline

SLOW = 30.0  # seconds one Calls.create takes: a pass that made even one would take this long


@pytest.fixture
@starts_processes
def h(redis_url: str, tmp_path: Path) -> Iterator[Hotline]:
    """A hotline with no worker running (each test starts one if it wants one), and every
    incident in a callout of its own (no storm window)."""
    hotline = e2e.hotline_without_storm_window(tmp_path, redis_url)
    yield hotline
    hotline.sim.create_delay = 0.0
    hotline.close()


def due_incidents(h: Hotline, n: int, now: datetime) -> list[int]:
    """`n` reports whose callers hung up: paging is due, and no job was queued for it (lost)."""
    ids = []
    with h.session() as s:
        for i in range(n):
            out = commands.report(s, call_sid=f"CAcycle{i:027d}", type_key="other", lang="en-US",
                                  caller=f"+8869551{i:05d}", actor=Actor("caller", Channel.CALLER),
                                  record_max_seconds=60, now=now)
            ids.append(out.incident_ids[0])
            commands.caller_done(s, out.incident_ids[0], now)
    return ids


def callout_jobs(h: Hotline) -> list[str]:
    return h.runtime.queue("callout").get_job_ids()


def test_a_pass_queues_each_due_callout_and_waits_on_no_call(h: Hotline) -> None:
    now = utcnow()
    ids = due_incidents(h, 5, now)
    h.sim.create_delay = SLOW

    report = h.converge(now + timedelta(seconds=1))

    assert sorted(report["paged"]) == ids
    assert len(report["queued"]) == 5 and not report["driven"], report.done
    assert e2e.outbound_to(h, CHEN) == []  # no Calls.create was even begun by the pass
    assert sorted(callout_jobs(h)) == sorted(f"callout-converge-{c}" for c in report["queued"])
    again = h.converge(now + timedelta(seconds=3))  # the next pass, 2 s on: the callouts are not overdue
    assert not again["queued"] and not again["driven"] and len(callout_jobs(h)) == 5
    later = h.converge(now + timedelta(seconds=1) + HANDOFF + timedelta(seconds=1))  # overdue, not yet late
    assert sorted(later["queued"]) == sorted(report["queued"]) and not later["driven"]
    assert len(callout_jobs(h)) == 5  # one waiting job per callout, however many passes see it

    h.sim.create_delay = 0.5
    h.start_worker("callout")  # its start-up pass queues (deduplicated) rather than rings
    h.wait_for(lambda: len(e2e.outbound_to(h, CHEN)) == 5, timeout=60, what="every callout's first call")


def test_with_redis_down_the_pass_places_the_calls_itself(h: Hotline) -> None:
    now = utcnow()
    ids = due_incidents(h, 3, now)
    h.runtime.__dict__["redis"] = Redis.from_url("redis://127.0.0.1:1/0")  # nothing listens there
    try:
        report = h.converge(now + timedelta(seconds=1))
    finally:
        del h.runtime.__dict__["redis"]
    assert sorted(report["paged"]) == ids and report.queue_down
    assert len(report["driven"]) == 3 and not report["queued"]
    assert len(e2e.outbound_to(h, CHEN)) == 3


def test_with_no_worker_running_an_overdue_callout_is_driven_by_the_pass_after_the_grace(h: Hotline) -> None:
    now = utcnow()
    due_incidents(h, 1, now)
    first = h.converge(now)
    [callout_id] = first["queued"]
    due = now + HANDOFF  # the page that opened it made it due HANDOFF later (commands.drive_soon)
    within = h.converge(due + DRIVE_GRACE - timedelta(seconds=2))
    assert within["queued"] == [callout_id] and not within["driven"]  # its job may yet run
    assert e2e.outbound_to(h, CHEN) == []

    late = h.converge(due + DRIVE_GRACE + timedelta(seconds=1))  # no worker ran it: the safety net
    assert late["driven"] == [callout_id] and not late["queued"]
    assert len(e2e.outbound_to(h, CHEN)) == 1


def test_each_steps_duration_is_exported(h: Hotline) -> None:
    h.converge()
    text = generate_latest(REGISTRY).decode()
    for step in ("paged", "driven", "probed", "recordings"):
        assert f'hotline_cycle_step_seconds_count{{step="{step}"}}' in text, step


def test_a_call_placed_by_a_create_that_timed_out_is_adopted_not_rung_again(h: Hotline) -> None:
    """Twilio placed the call but answered after our timeout (seen in the cluster storm: a person
    rung two to four times for one attempt). The retry finds the live call at Twilio, which no
    attempt owns, and takes it as this attempt's instead of placing a second one."""
    now = utcnow()
    due_incidents(h, 1, now)
    h.runtime.__dict__["redis"] = Redis.from_url("redis://127.0.0.1:1/0")
    client = rest.client()
    h.sim.create_delay = 2.0  # Twilio takes 2 s; we wait 1 s
    timeout = client.http_client.timeout
    client.http_client.timeout = 1.0
    try:
        first = h.converge(now + timedelta(seconds=1))
        [callout_id] = first["driven"]
        with h.session() as s:
            attempt = s.scalar(select(Attempt).where(Attempt.callout_id == callout_id))
            assert attempt is not None and attempt.call_sid is None and attempt.place_tries == 1
            phone, attempt_id = attempt.phone, attempt.id
        h.wait_for(lambda: e2e.outbound_to(h, phone), what="the call Twilio placed after our timeout")
        h.sim.create_delay = 0.0
        # Its callbacks (initiated, ringing) tie it to the attempt here; under load they come late.
        # Undo what they wrote, as if they were still on their way.
        h.wait_for(lambda: _attempt(h, attempt_id).state == AttemptState.RINGING, what="the ringing callback")
        sid = e2e.outbound_to(h, phone)[0].sid  # the "initiated" callback may tie it first: wait for "ringing" too
        h.wait_for(lambda: any(e.get("purpose") == "status:ringing" and e.get("params", {}).get("CallSid") == sid
                               and e.get("status") is not None for e in list(h.sim.events)),
                   what="the ringing callback answered")
        with h.session() as s:
            s.execute(update(Attempt).where(Attempt.id == attempt_id).values(call_sid=None, state=AttemptState.QUEUED))
        drive.drive(callout_id, now + timedelta(seconds=30))  # the retry is due
    finally:
        client.http_client.timeout = timeout
        del h.runtime.__dict__["redis"]
    calls = e2e.outbound_to(h, phone)
    assert len(calls) == 1, "rung twice for one attempt"
    with h.session() as s:
        attempt = s.get(Attempt, attempt_id)
        assert attempt is not None and attempt.call_sid == calls[0].sid
    dialed = [e.detail for e in h.audit(None, "callout.dialed") if e.detail.get("attempt_id") == attempt_id]
    assert [d.get("found_at_twilio") for d in dialed] == [True]


def _attempt(h: Hotline, attempt_id: int) -> Attempt:
    with h.session() as s:
        attempt = s.get(Attempt, attempt_id)
        assert attempt is not None
        return attempt
