"""The first law with storms worked as groups (issue #25, rule 7 of hotline.paging.commands):
the lifecycle machine's channels and faults, plus the console's merge, split, accept all and
close all. After every step an incident that was being paged and still needs it is still being
paged (a split report gets its own callout; a merged one joins the target's), statuses and
callouts agree, a stopped report names who and why, closed stays closed."""

from __future__ import annotations

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule, run_state_machine_as_test
from sqlalchemy import func, select

from hotline.base.lifecycle import Actor, Channel
from hotline.base.runtime import get_runtime
from hotline.paging import commands
from hotline.paging.models import callout_incidents
from hotline.rotas.policy import OncallSettings
from tests.support.lifecycle_machine import TYPES, LifecycleMachine, World, machine_settings
from tests.support.lifecycle_machine import world as world  # noqa: F401  (the fixture)

ALICE = Actor("alice", Channel.CONSOLE)
EXAMPLES = 40


class StormMachine(LifecycleMachine):
    @rule(type_key=st.sampled_from(TYPES))
    def storm(self, type_key: str) -> None:
        """Two reports of one type, both paged at once (their page jobs ran): one callout for both."""
        settings = get_runtime().config.section(OncallSettings)
        for _ in range(2):
            self.report(type_key, True)
            self.command(commands.page, self.incidents[-1], settings, self.now)

    def _in_storms(self) -> list[int]:
        with get_runtime().db.session() as s:
            shared = select(callout_incidents.c.callout_id).where(callout_incidents.c.active).group_by(
                callout_incidents.c.callout_id).having(func.count() > 1)
            return sorted(s.scalars(select(callout_incidents.c.incident_id).where(
                callout_incidents.c.active, callout_incidents.c.callout_id.in_(shared))))

    @precondition(lambda self: len(self.incidents) > 1)
    @rule(data=st.data())
    def merge(self, data: st.DataObject) -> None:
        source, target = data.draw(st.permutations(self.incidents))[:2]
        self.command(commands.merge, source, target, ALICE, "the same event", self.now)

    @precondition(lambda self: self.incidents)
    @rule(data=st.data())
    def split(self, data: st.DataObject) -> None:
        candidates = self._in_storms() or self.incidents  # mostly a report of a storm; sometimes one alone
        self.command(commands.split, data.draw(st.sampled_from(candidates)), ALICE, "not the same",
                     get_runtime().config.section(OncallSettings), self.now)

    @precondition(lambda self: self.incidents)
    @rule(data=st.data(), person=st.sampled_from(("chen", "lin")))
    def accept_all(self, data: st.DataObject, person: str) -> None:
        picked = data.draw(st.lists(st.sampled_from(self.incidents), min_size=1, max_size=3))
        self.command(commands.accept_all, picked, person=person, name=person, actor=ALICE, now=self.now)

    @precondition(lambda self: self.incidents)
    @rule(data=st.data())
    def close_all(self, data: st.DataObject) -> None:
        picked = data.draw(st.lists(st.sampled_from(self.incidents), min_size=1, max_size=3))
        out = self.command(commands.close_all, picked, ALICE, "false alarms", self.now)
        self.closed.update(out.incident_ids if out.ok else ())


@pytest.mark.slow  # a minute of Hypothesis over a real database
def test_the_first_law_holds_with_merge_split_and_bulk_actions(world: World) -> None:
    StormMachine.world = world
    run_state_machine_as_test(StormMachine, settings=machine_settings(world, EXAMPLES))
