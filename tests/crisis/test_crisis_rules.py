"""The crisis lifecycle's rules, on a real database (no phones): one verdict per incident, only
the acceptor verifies from the phone, a false alarm needs a note and activates nothing, the
plan is snapshotted at activation, and the two-person rule for statements."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from hotline.base.config import load_config
from hotline.base.db import Database
from hotline.base.lifecycle import Actor, Channel
from hotline.base.models import AuditEvent, Incident
from hotline.crisis import commands as crisis
from hotline.crisis.followups import NotifyTeam
from hotline.crisis.models import BridgeLeg, CrisisMember, CrisisStatement, CrisisStep
from hotline.crisis.settings import CrisisSettings
from hotline.rotas.policy import OncallSettings
from tests.support.postgres import database

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in Taipei
CHEN = Actor("chen", Channel.RESPONDER)
ALICE, BOB = Actor("alice", Channel.CONSOLE), Actor("bob", Channel.CONSOLE)


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """Both databases: the one-verdict rule rests on a unique index, the team calls on UPDATE ... RETURNING."""
    with database(request.param, tmp_path) as d:
        yield d


@pytest.fixture(scope="module")
def cfg():
    return load_config(env={})


def incident(db: Database, type_key: str = "cyber_security", accepted_by: str | None = "chen") -> int:
    with db.session() as s:
        count = len(list(s.scalars(select(Incident.id))))
        row = Incident(type_key=type_key, language="zh-TW", ref=f"123{count}", accepted_by=accepted_by,
                       status="accepted" if accepted_by else "paging")
        s.add(row)
        s.flush()
        return row.id


def test_activation_snapshots_the_team_and_the_checklist(db, cfg):
    i = incident(db)
    with db.session() as s:
        out = crisis.activate(s, i, cfg, CHEN, acceptor_only=True, now=NOW)
    assert out.ok and isinstance(out.then[0], NotifyTeam)
    with db.session() as s:
        members = {(m.role, m.person_key) for m in s.scalars(select(CrisisMember))}
        steps = list(s.scalars(select(CrisisStep).order_by(CrisisStep.position)))
    assert ("legal", "counsel") in members and ("management", "director") in members
    assert {role for role, _ in members} == {"management", "communications", "it_security", "legal", "hr"}
    assert steps[0].due_at == NOW + timedelta(minutes=30)


def test_bridge_callbacks_out_of_order_never_leave_a_ghost_on_the_bridge(db, cfg):
    """Twilio may deliver a leg's leave before its join; the late join must not put them back on."""
    i = incident(db)
    with db.session() as s:
        crisis.activate(s, i, cfg, CHEN, acceptor_only=True, now=NOW)
    with db.session() as s:
        c = crisis.crisis_for(s, i).id
        assert crisis.bridge_event(s, c, "CA1", "participant-join", "chen", NOW).code == "participant-join"
        assert crisis.bridge_event(s, c, "CA2", "participant-leave", "counsel", NOW).code == "participant-leave"
    with db.session() as s:
        assert crisis.bridge_event(s, c, "CA2", "participant-join", "counsel", NOW).code == "unchanged"
        assert crisis.bridge_event(s, c, "CA1", "participant-join", "chen", NOW).code == "unchanged"
    with db.session() as s:
        on_bridge = {leg.person_key for leg in s.scalars(select(BridgeLeg)) if leg.left_at is None}
    assert on_bridge == {"chen"}


def test_only_the_acceptor_verifies_and_only_once(db, cfg):
    i = incident(db)
    with db.session() as s:
        assert crisis.activate(s, i, cfg, Actor("lin", Channel.RESPONDER), acceptor_only=True).code == "not_acceptor"
    with db.session() as s:
        assert crisis.false_alarm(s, i, CHEN, "", acceptor_only=True).code == "note_required"
    with db.session() as s:
        assert crisis.false_alarm(s, i, CHEN, "a test of the fire alarm", acceptor_only=True).ok
    with db.session() as s:
        again = crisis.activate(s, i, cfg, ALICE, acceptor_only=False)
        assert again.code == "already_false_alarm"
        assert not list(s.scalars(select(CrisisMember)))  # a false alarm activated nothing
        kinds = [e.kind for e in s.scalars(select(AuditEvent).where(AuditEvent.incident_id == i))]
    assert kinds == ["crisis.false_alarm"]


def test_an_admin_activates_straight_from_the_console_and_a_type_without_plan_is_refused(db, cfg):
    with db.session() as s:
        assert crisis.activate(s, incident(db, accepted_by=None), cfg, ALICE, acceptor_only=False).ok
    with db.session() as s:
        assert crisis.activate(s, incident(db, "other"), cfg, ALICE, acceptor_only=False).code == "no_plan"


def test_two_person_rule(db, cfg):
    i = incident(db)
    with db.session() as s:
        crisis.activate(s, i, cfg, CHEN, acceptor_only=True, now=NOW)
        c = crisis.crisis_for(s, i)
        template = crisis.statement_template(s, c, cfg)
        assert "1230" in template["en-US"] and "{" not in template["zh-TW"]
        assert crisis.draft_statement(s, c.id, {"en-US": "  ", "zh-TW": ""}, ALICE).code == "empty_statement"
        assert crisis.draft_statement(s, c.id, template, ALICE).ok
        statement = newest(s)
        assert crisis.approve_statement(s, statement.id, ALICE, two_person_rule=True).code == "own_draft"
        assert crisis.approve_statement(s, statement.id, BOB, two_person_rule=True).ok
        assert crisis.approve_statement(s, statement.id, BOB, two_person_rule=True).code == "already_published"
        assert crisis.draft_statement(s, c.id, {"en-US": "update"}, ALICE).ok
        assert crisis.approve_statement(s, newest(s).id, ALICE, two_person_rule=False).ok  # the rule off


def newest(s) -> CrisisStatement:
    return s.scalars(select(CrisisStatement).order_by(CrisisStatement.id.desc())).first()


def test_the_team_is_resolved_from_rotas_now_and_a_deputy_never_doubles_the_lead(cfg):
    from hotline.crisis import team

    plan = cfg.section(CrisisSettings).plans["cyber_security"]
    rotas = cfg.section(OncallSettings).rotas
    week1, week2 = NOW, NOW + timedelta(days=7)  # it_security hands over weekly between chen and wang
    on_duty = {t: {s.role: s.person for s in team.leads(plan, rotas, t)}["it_security"] for t in (week1, week2)}
    assert set(on_duty.values()) == {"chen", "wang"}
    for moment, lead in on_duty.items():
        deputy = team.deputy(plan, "it_security", rotas, moment, lead)  # the plan's deputy is wang
        assert (deputy is None) == (lead == "wang")
    assert team.deputy(plan, "hr", rotas, NOW, "huang") is None  # no deputy named for hr


def test_two_admins_approving_one_statement_at_once_publish_it_once(db, cfg):
    """Both read the draft, both approve: the compare-and-set move lets one publish; the other is
    told it is published already, and the timeline says "published" once (SQLite and PostgreSQL)."""
    import threading

    i = incident(db)
    with db.session() as s:
        crisis.activate(s, i, cfg, CHEN, acceptor_only=True, now=NOW)
        crisis_id = crisis.crisis_for(s, i).id
        assert crisis.draft_statement(s, crisis_id, {"en-US": "We are on it."}, CHEN).ok
        statement_id = s.scalar(select(CrisisStatement.id))
    both_read = threading.Barrier(2, timeout=10)
    results: dict[str, str] = {}

    def approve(actor: Actor) -> None:
        try:
            with db.session() as s:
                s.get(CrisisStatement, statement_id).state  # noqa: B018 - each has read the draft
                both_read.wait()
                results[actor.who] = crisis.approve_statement(s, statement_id, actor, two_person_rule=True).code
        except Exception as exc:  # noqa: BLE001 - a lost race surfacing as an error is a failure too
            results[actor.who] = f"error: {exc!r}"

    threads = [threading.Thread(target=approve, args=(who,)) for who in (ALICE, BOB)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results.values()) == ["already_published", "published"], results
    with db.session() as s:
        published = [a for a in s.scalars(select(AuditEvent).where(AuditEvent.kind == "crisis.statement_published"))]
        statement = s.get(CrisisStatement, statement_id)
    assert len(published) == 1 and statement.approved_by == published[0].actor
