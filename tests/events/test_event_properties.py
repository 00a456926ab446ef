"""The first law with the events API among the channels: the lifecycle state machine of
tests/lifecycle, plus monitoring events (trigger paged or watched, repeats, acknowledge,
resolve) interleaved with every other channel's commands, lost jobs and faults. The same
invariants hold after every step."""

from __future__ import annotations

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import rule, run_state_machine_as_test

from hotline.base.runtime import get_runtime
from hotline.events import commands as events
from hotline.events import integrations
from hotline.events.rules import Event, Verdict
from tests.support.lifecycle_machine import LifecycleMachine, World, machine_settings
from tests.support.lifecycle_machine import world as world  # noqa: F401, PLC0414  (the fixture)

KEYS = ("disk", "leak", "quake")


class EventsMachine(LifecycleMachine):
    def __init__(self) -> None:
        super().__init__()
        with get_runtime().db.session() as s:
            key = integrations.add(s, "monitor", "other", False, "test").key
            self.integration = integrations.find(s, key)

    @rule(key=st.sampled_from(KEYS), verdict=st.sampled_from([Verdict.PAGE, Verdict.WATCH]))
    def event_trigger(self, key: str, verdict: Verdict) -> None:
        event = Event("trigger", key, f"{key} alert", "monitor-1", "critical")
        out = self.command(events.trigger, self.integration, event, (verdict, f"other.{verdict}", "test rule"),
                           get_runtime().config, self.now)
        for incident_id in out.incident_ids:
            if incident_id not in self.incidents:
                self.incidents.append(incident_id)

    @rule(key=st.sampled_from(KEYS))
    def event_acknowledge(self, key: str) -> None:
        self.command(events.acknowledge, self.integration, key, self.now)

    @rule(key=st.sampled_from(KEYS))
    def event_resolve(self, key: str) -> None:
        out = self.command(events.resolve, self.integration, key, self.now)
        if out.code == "closed":
            self.closed.update(out.incident_ids)


@pytest.mark.slow  # minutes of Hypothesis over a real database
def test_the_first_law_holds_with_events_in_any_interleaving(world: World) -> None:  # noqa: F811
    EventsMachine.world = world
    run_state_machine_as_test(EventsMachine, settings=machine_settings(world, 40))
