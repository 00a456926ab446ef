"""Restarts: a worker SIGKILLed mid-callout, and a Redis that lost its queues, resume every open callout."""

from __future__ import annotations

import os
import signal
from datetime import timedelta

import pytest
from redis import Redis

from hotline.base.lifecycle import Actor, Channel
from hotline.base.models import utcnow
from hotline.paging import commands
from hotline.paging.callout.states import CalloutState as C
from hotline.paging.followups import StopCalls
from tests.support import e2e
from tests.support.e2e import (
    CHEN,
    LIN,
    RING,
    quiet_phones,  # noqa: F401  (autouse)
)
from tests.support.lanes import starts_processes


@pytest.fixture(scope="module")
@starts_processes
def h(redis_url, tmp_path_factory):
    hotline = e2e.make_hotline(tmp_path_factory.mktemp("callout-restart"), redis_url, "sqlite")
    yield hotline
    hotline.close()


def kill_workers(h) -> None:
    for proc in h.workers:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # the worker, its scheduler and any work horse
            proc.wait(10)


def test_worker_sigkilled_mid_callout_resumes_without_dialling_anyone_twice(h):
    before = e2e.snapshot(h)
    inc = e2e.report(h, "12")
    chen = e2e.next_call(h, CHEN)
    chen.expect_status("ringing")
    kill_workers(h)
    h.sim.advance(RING + 1)  # chen's no-answer arrives while no worker runs
    assert chen.expect_hangup() == "no-answer"
    assert not e2e.has_new_call(h, LIN)
    h.start_worker("callout", "recordings", "default")  # reconciles at start, then runs the queued step
    lin = e2e.next_call(h, LIN)
    lin.answer()
    lin.press("1")
    lin.expect_say("Thank you, Lin Mei")
    e2e.drain(h)
    assert [c.to for c in e2e.calls_since(h, before)] == [CHEN, LIN]
    callout = e2e.callout_of(h, inc.id)
    assert callout.state == C.ACCEPTED
    slots = [(a.round, a.step, a.person_key) for a in e2e.attempts(h, callout.id)]
    assert slots == [(1, 0, "chen"), (1, 1, "lin")]


def test_redis_losing_its_data_is_rebuilt_from_the_database(h):
    inc = e2e.report(h, "12")
    chen = e2e.next_call(h, CHEN)
    chen.expect_status("ringing")
    callout = e2e.callout_of(h, inc.id)
    h.wait_for(lambda: e2e.scheduled_wakes(h, callout.id), what="the watchdog scheduled")  # after the call is placed
    kill_workers(h)
    Redis.from_url(h.env["REDIS_URL"]).flushdb()  # every queued job and scheduled watchdog is gone
    assert not e2e.scheduled_wakes(h, callout.id)
    h.start_worker("callout", "recordings", "default")
    h.wait_for(lambda: e2e.scheduled_wakes(h, callout.id), what="the watchdog scheduled again")
    h.sim.advance(RING + 1)
    lin = e2e.next_call(h, LIN)
    lin.answer()
    lin.press("1")
    lin.expect_say("Thank you, Lin Mei")
    assert [a.person_key for a in e2e.attempts(h, callout.id)] == ["chen", "lin"]


def test_a_lost_stop_calls_job_is_recovered_by_the_cycle(h):
    """Issue #23, item 7: paging stopped, but the job that ends its calls was lost (Redis, a
    killed worker): the convergence cycle ends them, once."""
    inc = e2e.report(h, "12")
    chen = e2e.next_call(h, CHEN)
    chen.expect_status("ringing")
    with h.session() as s:  # the command, without dispatching what it asks for: the lost job
        out = commands.stop_paging(s, inc.id, Actor("alice", Channel.CONSOLE), "checked on site")
    assert out.ok and any(isinstance(f, StopCalls) for f in out.then)

    report = h.converge(now=utcnow() + timedelta(seconds=15))

    assert out.callout_id in report["calls_stopped"]
    assert chen.expect_hangup() == "canceled"
    assert out.callout_id not in h.converge(now=utcnow() + timedelta(seconds=30))["calls_stopped"]
