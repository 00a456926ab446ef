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

The crisis and verdict rules (issue #23), with verdicts given at any moment and the crisis team
called by the cycle and by its job:
- a false alarm on a report nobody accepted stops its paging, with the verdict as the reason, and
  nothing pages it again until a named person pages it again or reopens it (someone may still
  take it or close it);
- a deputy of a role whose lead confirmed is never due to be called again;
- one person is one phone: no two of their seats were called within one call's length of each
  other, and one pass calls each person once.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test
from sqlalchemy import select

from hotline.base.config import load_config
from hotline.base.cycle import run_cycle
from hotline.base.db import create_schema
from hotline.base.lifecycle import Actor, Channel, Outcome
from hotline.base.models import AuditEvent, Base, Incident, utcnow
from hotline.base.runtime import Runtime, get_runtime, set_runtime
from hotline.base.states import ATTEMPT_LIVE, CALLOUT_ACTIVE, NEEDS_PAGING, CalloutState, IncidentStatus
from hotline.crisis import commands as crisis
from hotline.crisis import notify
from hotline.crisis.followups import NotifyTeam
from hotline.crisis.models import Crisis, CrisisMember, MemberState, covered_roles
from hotline.paging import commands, jobs
from hotline.paging.callout.states import CallStatus
from hotline.paging.followups import CloseOut, Drive, Page, StopCalls, Wake
from hotline.paging.models import Attempt, Callout, callout_incidents
from sim import Sim
from tests.callout.e2e import CHEN, DIRECTOR, LIN, WANG, write_config
from tests.postgres import postgres_schema_url

S = IncidentStatus
PEOPLE = ("chen", "lin", "wang", "director")
TYPES = ("other", "reputation")  # two policies, so storms of different types run side by side
EXAMPLES = 100
# A crisis plan for "reputation" where the director holds three seats (the shared deputy).
PLAN = """
[team.management]
person = "director"

[team.communications]
person = "lin"
deputy = "director"

[team.legal]
person = "wang"
deputy = "director"

[[steps]]
owner = "management"
deadline = "30m"
text = { "zh-TW" = "確認事實", "en-US" = "Confirm the facts" }

[statement]
"zh-TW" = "聲明 {reference}"
"en-US" = "Statement {reference}"
"""


class World:
    """What stays up across examples: the sim and the runtime; the tables are emptied per example."""

    def __init__(self, tmp: Path, database: str):
        self.sim = Sim(virtual_time=True, webhook_timeout=0.5)
        self.sim.start(host="127.0.0.1", port=0)
        for number in (CHEN, LIN, WANG, DIRECTOR):
            self.sim.phone(number).never_answer()
        self.drop = None
        db_url = f"sqlite:///{tmp / 'lifecycle.db'}"
        if database == "postgresql":
            db_url, self.drop = postgres_schema_url()
        env = {"HOTLINE_DATA_DIR": str(tmp / "data"), "DATABASE_URL": db_url,
               "REDIS_URL": "redis://127.0.0.1:1/0",  # nothing listens: every enqueue fails, as with Redis down
               "HOTLINE_PUBLIC_URL": "http://127.0.0.1:9",  # nothing listens: every webhook is lost
               "TWILIO_ACCOUNT_SID": self.sim.account_sid, "TWILIO_AUTH_TOKEN": self.sim.auth_token,
               "HOTLINE_SIM_URL": self.sim.api_base_url}
        (tmp / "plans").mkdir()
        (tmp / "plans" / "reputation.toml").write_text(PLAN, encoding="utf-8")
        config = write_config(tmp)
        config.write_text(config.read_text(encoding="utf-8") + f'\n[crisis]\nplans_dir = "{tmp / "plans"}"\n'
                          "repeat_minutes = 3\nrounds_before_deputy = 2\n", encoding="utf-8")
        set_runtime(Runtime(load_config(config, env=env)))
        create_schema(get_runtime().db.engine)

    def reset(self) -> None:
        with get_runtime().db.session() as s:
            for table in reversed(Base.metadata.sorted_tables):
                s.execute(table.delete())
        self.sim.settle()

    def close(self) -> None:
        get_runtime().db.engine.dispose()
        set_runtime(None)
        self.sim.stop()
        if self.drop:
            self.drop()


class LifecycleMachine(RuleBasedStateMachine):
    world: World

    def __init__(self) -> None:
        super().__init__()
        self.world.reset()
        self.now = utcnow()
        self.calls = itertools.count(1)
        self.incidents: list[int] = []
        self.pending: list[object] = []  # follow-ups "in the queue": run, or lost
        self.closed: set[int] = set()  # the model: closed incidents stay closed unless reopened
        self.false_alarms: set[int] = set()  # the model: stopped by a false alarm, until paged again or reopened
        self.paged_before: set[int] = set()

    # -- plumbing ------------------------------------------------------------------------------
    def command(self, fn, *args, **kwargs) -> Outcome:  # type: ignore[no-untyped-def]
        self.paged_before = self._being_paged()
        with get_runtime().db.session() as s:
            out = fn(s, *args, **kwargs)
        self.pending.extend(out.then)
        return out

    def _being_paged(self) -> set[int]:
        with get_runtime().db.session() as s:
            return set(s.scalars(select(callout_incidents.c.incident_id)
                                 .join(Callout, Callout.id == callout_incidents.c.callout_id)
                                 .where(callout_incidents.c.active, Callout.state.in_(CALLOUT_ACTIVE))))

    def _live_attempts(self) -> list[Attempt]:
        with get_runtime().db.session() as s:
            return list(s.scalars(select(Attempt).join(Callout).where(
                Attempt.state.in_(ATTEMPT_LIVE), Attempt.call_sid.is_not(None),
                Callout.state.in_(CALLOUT_ACTIVE)).order_by(Attempt.id)))

    def _sim_status(self, sid: str) -> str | None:
        call = next((c for c in self.world.sim.call_objects() if c.sid == sid), None)
        return call.status.value if call else None

    # -- the caller ----------------------------------------------------------------------------
    @rule(type_key=st.sampled_from(TYPES), hangs_up=st.booleans())
    def report(self, type_key: str, hangs_up: bool) -> None:
        n = next(self.calls)
        out = self.command(commands.report, call_sid=f"CA{n:032d}", type_key=type_key, lang="en-US",
                           caller=f"+8869550{n:05d}", actor=Actor("caller", Channel.CALLER), record_max_seconds=60,
                           now=self.now)
        self.incidents.append(out.incident_ids[0])
        if hangs_up:  # the hang-up webhook arrived; when it doesn't, the report grace still pages it
            self.command(commands.caller_done, out.incident_ids[0], self.now)

    # -- the queue: a follow-up job runs, or is lost -------------------------------------------
    @precondition(lambda self: self.pending)
    @rule(data=st.data())
    def run_job(self, data: st.DataObject) -> None:
        job = self.pending.pop(data.draw(st.integers(0, len(self.pending) - 1)))
        self.paged_before = self._being_paged()
        due = self.now.isoformat()
        match job:
            case Page(incident_id=i):
                jobs.page_incident(i, due)
            case Drive(callout_id=c) | Wake(callout_id=c):
                jobs.drive_callout(c, due)
            case CloseOut(callout_id=c):
                jobs.close_out(c)
            case StopCalls(callout_id=c):
                jobs.stop_calls(c)
            case NotifyTeam():
                self._one_call_per_person(notify.notify_due(self.now))

    def _one_call_per_person(self, member_ids: list[int]) -> None:
        with get_runtime().db.session() as s:
            people = [s.get_one(CrisisMember, m).person_key for m in member_ids]
        assert len(people) == len(set(people)), f"one pass rang a phone twice: {people}"

    @precondition(lambda self: self.pending)
    @rule(data=st.data())
    def lose_job(self, data: st.DataObject) -> None:
        self.paged_before = self._being_paged()
        self.pending.pop(data.draw(st.integers(0, len(self.pending) - 1)))

    # -- the responders ------------------------------------------------------------------------
    @precondition(lambda self: self.incidents)
    @rule(data=st.data(), key=st.sampled_from("12"))
    def responder_presses(self, data: st.DataObject, key: str) -> None:
        live = [a for a in self._live_attempts() if self._sim_status(a.call_sid or "") in ("ringing", "in-progress")]
        if not live:
            return
        attempt = data.draw(st.sampled_from(live))
        self.command(lambda s: commands.responder_key(s, attempt.id, key, attempt.person_name, self.now)[1]
                     or Outcome(True, "nothing"))

    @precondition(lambda self: self.incidents)
    @rule(data=st.data())
    def status_callback_delivered(self, data: st.DataObject) -> None:
        """Twilio's final status for a call reaches us (when this rule doesn't run, it was lost)."""
        ended = [(a, st_) for a in self._live_attempts()
                 if (st_ := self._sim_status(a.call_sid or "")) in ("no-answer", "busy", "failed", "completed")]
        if not ended:
            return
        attempt, status = data.draw(st.sampled_from(ended))
        self.command(lambda s: commands.responder_event(s, attempt.id, CallStatus(status), self.now)[1]
                     or Outcome(True, "nothing"))

    # -- staff, operators, the console and the CLI ---------------------------------------------
    @precondition(lambda self: self.incidents)
    @rule(data=st.data(), person=st.sampled_from(PEOPLE), channel=st.sampled_from([Channel.DIAL_IN, Channel.CONSOLE]))
    def accept(self, data: st.DataObject, person: str, channel: Channel) -> None:
        incident = data.draw(st.sampled_from(self.incidents))
        self.command(commands.accept, person=person, name=person, incident_id=incident,
                     actor=Actor("alice" if channel == Channel.CONSOLE else person, channel), now=self.now)

    @precondition(lambda self: self.incidents)
    @rule(data=st.data())
    def stop_paging(self, data: st.DataObject) -> None:
        self.command(commands.stop_paging, data.draw(st.sampled_from(self.incidents)),
                     Actor("alice", Channel.CONSOLE), "false alarm", self.now)

    @precondition(lambda self: self.incidents)
    @rule(data=st.data())
    def page_again(self, data: st.DataObject) -> None:
        incident = data.draw(st.sampled_from(self.incidents))
        if self.command(commands.page_again, incident, Actor("alice", Channel.CLI), self.now).ok:
            self.false_alarms.discard(incident)

    # -- verdicts and the crisis team ----------------------------------------------------------
    @precondition(lambda self: self.incidents)
    @rule(data=st.data())
    def false_alarm(self, data: st.DataObject) -> None:
        incident = data.draw(st.sampled_from(self.incidents))
        with get_runtime().db.session() as s:
            row = s.get_one(Incident, incident)
            paging_unaccepted = row.accepted_by is None and row.status in NEEDS_PAGING
        out = self.command(crisis.false_alarm, incident, Actor("alice", Channel.CONSOLE), "not real",
                           acceptor_only=False, now=self.now)
        if out.ok and paging_unaccepted:
            assert out.code == "false_alarm_stopped", out
            self.false_alarms.add(incident)

    @precondition(lambda self: self.incidents)
    @rule(data=st.data())
    def activate(self, data: st.DataObject) -> None:
        self.command(crisis.activate, data.draw(st.sampled_from(self.incidents)), get_runtime().config,
                     Actor("alice", Channel.CONSOLE), acceptor_only=False, now=self.now)

    @rule(data=st.data())
    def member_confirms(self, data: st.DataObject) -> None:
        with get_runtime().db.session() as s:
            seats = list(s.scalars(select(CrisisMember.id).order_by(CrisisMember.id)))
        if seats:
            seat = data.draw(st.sampled_from(seats))
            self.command(crisis.member_confirmed, seat, Actor("someone", Channel.RESPONDER), now=self.now)

    @precondition(lambda self: self.incidents)
    @rule(data=st.data(), channel=st.sampled_from([Channel.OPERATOR, Channel.CONSOLE]))
    def resolve(self, data: st.DataObject, channel: Channel) -> None:
        incident = data.draw(st.sampled_from(self.incidents))
        out = self.command(commands.resolve, incident, Actor("op", channel), "done", self.now)
        if out.ok:
            self.closed.add(incident)

    @precondition(lambda self: self.closed)
    @rule(data=st.data())
    def reopen(self, data: st.DataObject) -> None:
        incident = data.draw(st.sampled_from(sorted(self.closed)))
        if self.command(commands.reopen, incident, Actor("alice", Channel.CONSOLE), "not over", self.now).ok:
            self.closed.discard(incident)
            self.false_alarms.discard(incident)

    # -- time, faults, the cycle ---------------------------------------------------------------
    @rule(seconds=st.sampled_from([5, 25, 70, 200]))
    def time_passes(self, seconds: int) -> None:
        self.paged_before = self._being_paged()
        self.world.sim.advance(seconds)
        self.now += timedelta(seconds=seconds)

    @rule(times=st.integers(1, 3), status=st.sampled_from([429, 503]))
    def twilio_fails(self, times: int, status: int) -> None:
        self.paged_before = self._being_paged()
        self.world.sim.fail_next_calls(status, 20429 if status == 429 else 20500, times)

    @rule()
    def worker_restarts(self) -> None:
        self.paged_before = self._being_paged()
        self.now = max(self.now, utcnow())
        run_cycle(self.now, every_active=True, exclusive=False)

    @rule()
    def converge(self) -> None:
        self.paged_before = self._being_paged()
        self.now = max(self.now, utcnow())
        report = run_cycle(self.now)
        assert not report.skipped
        self._one_call_per_person(report["crisis_calls"])
        with get_runtime().db.session() as s:
            due = set(s.scalars(select(Incident.id).where(Incident.status.in_(NEEDS_PAGING),
                                                          Incident.page_due_at <= self.now)))
            idle = list(s.scalars(select(Callout.id).where(Callout.state.in_(CALLOUT_ACTIVE))
                                  .where(~select(callout_incidents.c.incident_id).where(
                                      callout_incidents.c.callout_id == Callout.id,
                                      callout_incidents.c.active).exists())))
        unpaged = due - self._being_paged()
        assert not unpaged, f"after convergence, due but not paged: {sorted(unpaged)}"
        assert not idle, f"active callouts paging nobody: {idle}"

    # -- invariants ----------------------------------------------------------------------------
    @invariant()
    def paging_never_silently_stops(self) -> None:
        with get_runtime().db.session() as s:
            needing = set(s.scalars(select(Incident.id).where(Incident.status.in_(NEEDS_PAGING))))
        dropped = (self.paged_before & needing) - self._being_paged()
        assert not dropped, f"paging silently stopped for {sorted(dropped)}"

    @invariant()
    def states_agree(self) -> None:
        with get_runtime().db.session() as s:
            links = s.execute(select(Incident, Callout).join(callout_incidents, callout_incidents.c.incident_id
                                                             == Incident.id)
                              .join(Callout, Callout.id == callout_incidents.c.callout_id)
                              .where(callout_incidents.c.active)).all()
            for incident, callout in links:
                if callout.state in CALLOUT_ACTIVE:
                    assert incident.status in NEEDS_PAGING, (incident.id, incident.status, callout.state)
                elif callout.state == CalloutState.ACCEPTED:
                    assert incident.status in (S.ACCEPTED, S.CLOSED), (incident.id, incident.status)
                    if incident.status == S.ACCEPTED:
                        assert incident.accepted_by == callout.accepted_by
                else:
                    raise AssertionError(f"incident {incident.id} linked to {callout.state} callout {callout.id}")
            for incident in s.scalars(select(Incident)):
                if incident.status == S.STOPPED:
                    assert incident.paging_stopped_by and incident.paging_stopped_reason
                if incident.status == S.ACCEPTED:
                    assert incident.accepted_by
                if incident.id in self.closed:
                    assert incident.status == S.CLOSED, f"closed incident {incident.id} is {incident.status}"

    @invariant()
    def every_status_is_on_the_timeline(self) -> None:
        with get_runtime().db.session() as s:
            last: dict[int, str] = {}
            for e in s.scalars(select(AuditEvent).where(AuditEvent.kind.like("status_%")).order_by(AuditEvent.id)):
                last[e.incident_id or 0] = e.kind.removeprefix("status_")
            for incident in s.scalars(select(Incident)):
                assert last.get(incident.id, S.NEW) == incident.status, (incident.id, incident.status, last)


    @invariant()
    def crisis_and_verdict_rules(self) -> None:
        with get_runtime().db.session() as s:
            for incident_id in self.false_alarms:
                row = s.get_one(Incident, incident_id)
                # never paged again (someone may still take it, or close it)
                assert row.status in (S.STOPPED, S.ACCEPTED, S.CLOSED), f"false alarm {incident_id} is {row.status}"
                assert incident_id not in self._being_paged(), f"false alarm {incident_id} is paged again"
                if row.status == S.STOPPED:
                    assert (row.paging_stopped_reason or "").startswith("false alarm:"), row.paging_stopped_reason
            for crisis_id in s.scalars(select(Crisis.id)):
                covered = covered_roles(s, crisis_id)
                due = list(s.scalars(select(CrisisMember.role).where(
                    CrisisMember.crisis_id == crisis_id, CrisisMember.is_deputy.is_(True),
                    CrisisMember.role.in_(covered), CrisisMember.state == MemberState.DUE)))
                assert not due, f"crisis {crisis_id}: deputies still due for covered roles {due}"
            called: dict[str, list[float]] = {}
            for person, at in s.execute(select(CrisisMember.person_key, CrisisMember.last_called_at)
                                        .where(CrisisMember.last_called_at.is_not(None))):
                called.setdefault(person, []).append(at.timestamp())
            for person, times in called.items():
                times.sort()
                close = [(a, b) for a, b in itertools.pairwise(times) if b - a < notify.IN_CALL_SECONDS]
                assert not close, f"{person}'s phone was rung for two seats at once: {close}"


@pytest.fixture(params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    w = World(tmp_path, request.param)  # postgres_schema_url skips, or fails in CI, without a server
    yield w
    w.close()


@pytest.mark.timeout(600)  # 197 s measured on SQLite on a loaded 2-core machine (with the crisis rules)
def test_the_first_law_holds_under_any_interleaving(world: World) -> None:
    LifecycleMachine.world = world
    run_state_machine_as_test(LifecycleMachine, settings=settings(
        max_examples=EXAMPLES, stateful_step_count=30, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
