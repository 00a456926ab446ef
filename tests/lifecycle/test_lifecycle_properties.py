"""The first law as a property: random interleavings of every channel's commands, lost events and
failures never leave an open, unaccepted incident silently unpaged.

Hypothesis drives the lifecycle's commands the way the channels do (the caller's IVR, the
responder's keys and status callbacks, dial-in, console, operator by phone, the CLI), plus
the faults: a follow-up job that is never run (dropped webhook, failed enqueue, Redis down:
Redis is unreachable for the whole test, so every enqueue fails), Calls.create failing, a
worker restart, time passing. Twilio is the sim (virtual time, real twilio client); the
database is real (SQLite, and PostgreSQL when it runs here).

Invariants, after every step:
- an incident that was being paged and still needs paging is still being paged (nothing
  silently stops paging it: this is what found "resolving one storm incident cancels the others");
- a stopped incident names who stopped it and why, and is paged by nothing;
- incident status and callout state agree; one acceptor; closed stays closed unless reopened;
- every status an incident is in was written to its audit timeline.
After a convergence pass: every incident whose paging is due is being paged, and every active
callout pages at least one incident.
"""

from __future__ import annotations

import pytest
from hypothesis.stateful import run_state_machine_as_test

from tests.support.lifecycle_machine import LifecycleMachine, World, machine_settings
from tests.support.lifecycle_machine import world as world  # noqa: F401  (the fixture)

EXAMPLES = 100


@pytest.mark.slow  # minutes of Hypothesis over a real database
def test_the_first_law_holds_under_any_interleaving(world: World) -> None:
    LifecycleMachine.world = world
    run_state_machine_as_test(LifecycleMachine, settings=machine_settings(world, EXAMPLES))
