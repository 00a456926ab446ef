"""The lifecycle state machine (tests/support/lifecycle_machine.py) with the crisis and drill rules
among its steps: drills started, stopped and preempted, verdicts given from the console, the
crisis team called by the convergence cycle and confirming, interleaved with every channel's
commands, lost jobs and faults. The first law's invariants hold after every step, and so do:

- a real report preempts a drill: every drill running when a real report arrives is stopped by it;
- a drill rings only its participants: no attempt of a drill's callout is to anyone else;
- verdicts are one per report: a second verdict on a report is refused, and the database holds
  one crisis row (one "activated" or "false alarm" on the timeline) per incident at most;
- deputies stop being called when their lead confirms (a deputy stands down the moment a lead
  of their role confirms, issue #23 item 5). Random interleavings rarely reach it, so an explicit
  sequence of the machine's steps reaches it too.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import invariant, precondition, rule, run_state_machine_as_test
from sqlalchemy import func, select

from hotline.base.lifecycle import Actor, Channel
from hotline.base.models import AuditEvent
from hotline.base.runtime import get_runtime
from hotline.crisis import commands as crisis
from hotline.crisis import notify
from hotline.crisis.models import Crisis, CrisisMember
from hotline.drills import commands as drills
from hotline.drills.models import Drill, DrillKind, DrillState
from hotline.drills.settings import Scenario
from hotline.paging.followups import Page
from hotline.paging.models import Attempt, Callout
from tests.support.lifecycle_machine import TYPES, LifecycleMachine, World, machine_settings

ADMIN = Actor("alice", Channel.CONSOLE)
PARTICIPANTS = (("lin",), ("wang", "director"), ("chen", "lin"))
# A plan for one of the machine's report types: two roles, each with a deputy; a deputy is called
# in after one unconfirmed call, so the machine reaches deputies in a few steps.
PLAN = """
[team.management]
person = "chen"
deputy = "lin"

[team.legal]
person = "wang"
deputy = "director"

[[steps]]
owner = "management"
deadline = "30m"
text = { "zh-TW" = "確認事實", "en-US" = "Confirm the facts" }

[statement]
"zh-TW" = "我們正在查證（編號 {reference}）。"
"en-US" = "We are checking the facts (reference {reference})."
"""


def crisis_config(tmp: Path) -> str:
    plans = tmp / "plans"
    plans.mkdir()
    (plans / "reputation.toml").write_text(PLAN, encoding="utf-8")
    return (f'\n[crisis]\nplans_dir = "{plans}"\ntwo_person_rule = true\nrepeat_minutes = 3\n'
            f'rounds_before_deputy = 1\n\n[drills]\nmax_minutes = 60\n')


@pytest.fixture(params=["sqlite", "postgresql"])
def crisis_world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    w = World(tmp_path, request.param, crisis_config(tmp_path))
    yield w
    w.close()


class CrisisDrillMachine(LifecycleMachine):
    def __init__(self) -> None:
        super().__init__()
        self.verdicts: set[int] = set()  # the model: incidents with a verdict

    # -- drills ----------------------------------------------------------------------------------
    @rule(type_key=st.sampled_from(TYPES), participants=st.sampled_from(PARTICIPANTS))
    def drill_starts(self, type_key: str, participants: tuple[str, ...]) -> None:
        cfg = get_runtime().config
        scenario = Scenario("machine", DrillKind.FULL_SCALE, type_key, participants=participants)
        created = self.command(drills.create, cfg, scenario, ADMIN, self.now)
        started = self.command(drills.start, cfg, created.drill_id, ADMIN, self.now)
        self.incidents.extend(f.incident_id for f in started.then if isinstance(f, Page))

    @precondition(lambda self: self.incidents)
    @rule()
    def drill_stopped(self) -> None:
        with get_runtime().db.session() as s:
            running = list(s.scalars(select(Drill.id).where(Drill.state == DrillState.RUNNING)))
        for drill_id in running:
            self.command(drills.end, drill_id, DrillState.STOPPED, ADMIN, "enough", self.now)

    @rule(type_key=st.sampled_from(TYPES), hangs_up=st.booleans())
    def report(self, type_key: str, hangs_up: bool) -> None:
        """A real report (the caller's, as in the base machine) stops every drill running then."""
        with get_runtime().db.session() as s:
            running = set(s.scalars(select(Drill.id).where(Drill.state == DrillState.RUNNING)))
        super().report(type_key, hangs_up)
        with get_runtime().db.session() as s:
            still = set(s.scalars(select(Drill.id).where(Drill.id.in_(running), Drill.state == DrillState.RUNNING)))
        assert not still, f"a real report did not preempt running drills {sorted(still)}"

    # -- the crisis ------------------------------------------------------------------------------
    @precondition(lambda self: self.incidents)
    @rule(data=st.data(), real=st.booleans())
    def verdict(self, data: st.DataObject, real: bool) -> None:
        incident = data.draw(st.sampled_from(self.incidents))
        if real:
            out = self.command(crisis.activate, incident, get_runtime().config, ADMIN, acceptor_only=False,
                               now=self.now)
        else:
            out = self.command(crisis.false_alarm, incident, ADMIN, "a test", acceptor_only=False, now=self.now)
        if incident in self.verdicts:
            assert not out.ok, f"a second verdict on incident {incident} was taken: {out}"
        elif out.ok:
            self.verdicts.add(incident)

    @rule()
    def crisis_team_called(self) -> None:
        """The crisis team's calls, as the convergence cycle places them (`converge` does too)."""
        self.paged_before = self._being_paged()
        notify.notify_due(self.now)

    @precondition(lambda self: self.verdicts)
    @rule(data=st.data())
    def member_confirms(self, data: st.DataObject) -> None:
        with get_runtime().db.session() as s:
            members = list(s.scalars(select(CrisisMember.id).order_by(CrisisMember.id)))
        if members:
            self.command(crisis.member_confirmed, data.draw(st.sampled_from(members)), ADMIN, self.now)

    # -- invariants ------------------------------------------------------------------------------
    @invariant()
    def a_drill_rings_only_its_participants(self) -> None:
        with get_runtime().db.session() as s:
            rung = s.execute(select(Attempt.person_key, Drill.participants, Drill.id)
                             .join(Callout, Callout.id == Attempt.callout_id)
                             .join(Drill, Drill.id == Callout.drill_id)).all()
        outside = [(person, drill) for person, participants, drill in rung if person not in participants]
        assert not outside, f"drills rang people outside their participants: {outside}"

    @invariant()
    def one_verdict_per_report(self) -> None:
        with get_runtime().db.session() as s:
            crises = dict(s.execute(select(Crisis.incident_id, func.count()).group_by(Crisis.incident_id)).all())
            told = dict(s.execute(select(AuditEvent.incident_id, func.count())
                                  .where(AuditEvent.kind.in_(["crisis.activated", "crisis.false_alarm"]))
                                  .group_by(AuditEvent.incident_id)).all())
        assert all(n == 1 for n in crises.values()), crises
        assert all(n == 1 for n in told.values()), told
        assert set(crises) == self.verdicts, (sorted(crises), sorted(self.verdicts))

    @invariant()
    def deputies_stop_being_called_when_their_lead_confirms(self) -> None:
        """No deputy is called after a lead of their role confirmed."""
        with get_runtime().db.session() as s:
            members = list(s.scalars(select(CrisisMember)))
        leads = {(m.crisis_id, m.role): m for m in members if not m.is_deputy}
        for deputy in (m for m in members if m.is_deputy):
            lead = leads.get((deputy.crisis_id, deputy.role))
            if lead is None or lead.confirmed_at is None or deputy.last_called_at is None:
                continue
            assert deputy.last_called_at <= lead.confirmed_at, (
                f"deputy {deputy.person_key} ({deputy.role}) called at {deputy.last_called_at}, after "
                f"{lead.person_key} confirmed at {lead.confirmed_at}")


@pytest.mark.slow  # a minute of Hypothesis over a real database
def test_crisis_and_drill_rules_hold_under_any_interleaving(crisis_world: World) -> None:
    CrisisDrillMachine.world = crisis_world
    run_state_machine_as_test(CrisisDrillMachine, settings=machine_settings(crisis_world, 15, steps=20))


@pytest.mark.slow  # a hotline's runtime on a real database
def test_deputies_stop_being_called_when_their_lead_confirms(crisis_world: World) -> None:
    """The machine's steps in the one order that reaches the rule: a reputation report, a verdict,
    two rounds of team calls (the second calls the deputies in), the management lead confirms,
    time passes, the team is called again; then the machine's deputy invariant."""
    CrisisDrillMachine.world = crisis_world
    m = CrisisDrillMachine()
    m.report("reputation", True)
    incident = m.incidents[-1]
    assert m.command(crisis.activate, incident, get_runtime().config, ADMIN, acceptor_only=False, now=m.now).ok
    m.verdicts.add(incident)
    m.crisis_team_called()
    m.crisis_team_called()
    with get_runtime().db.session() as s:
        lead = s.scalars(select(CrisisMember).where(CrisisMember.person_key == "chen")).one()
        assert s.scalars(select(CrisisMember).where(CrisisMember.is_deputy.is_(True),
                                                    CrisisMember.role == lead.role)).one().calls == 1
    assert m.command(crisis.member_confirmed, lead.id, ADMIN, m.now).ok
    m.time_passes(200)
    m.crisis_team_called()
    m.deputies_stop_being_called_when_their_lead_confirms()
