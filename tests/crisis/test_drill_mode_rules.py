"""Drill mode's rules on a real database (no phones): a proposal to activate a drill's plan texts
only activators taking part in the drill (or nobody, and says so); the team written on the
timeline is the team called; the public dark site never shows a drill crisis, its preview does."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hotline.base.config import load_config
from hotline.base.db import Database
from hotline.base.lifecycle import Actor, Channel
from hotline.base.models import AuditEvent, Incident
from hotline.crisis import commands as crisis
from hotline.crisis.darksite.view import build
from hotline.drills.models import Drill
from tests.support.crisis import GOOD, setup
from tests.support.postgres import database

ALICE, BOB = Actor("alice", Channel.CONSOLE), Actor("bob", Channel.CONSOLE)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    with database("sqlite", tmp_path / "db") as d:
        yield d


def drill_report(db: Database, participants: list[str]) -> int:
    with db.session() as s:
        drill = Drill(kind="tabletop", type_key="cyber_security", language="en-US", participants=participants,
                      state="running", whole_plan=True)
        s.add(drill)
        s.flush()
        row = Incident(type_key="cyber_security", language="en-US", ref=f"D{drill.id}", status="accepted",
                       accepted_by="chen", drill=True, drill_id=drill.id)
        s.add(row)
        s.flush()
        return row.id


def test_a_proposal_texts_only_activators_in_the_drill(db, tmp_path):
    cfg = load_config(setup(tmp_path, GOOD + '\n[activators]\npeople = ["director"]\n'), env={})
    outside = drill_report(db, ["chen"])
    with db.session() as s:
        out = crisis.propose(s, outside, cfg, ALICE)
    assert (out.ok, out.code, out.then) == (False, "no_activator_in_drill", ())
    inside = drill_report(db, ["chen", "director"])
    with db.session() as s:
        out = crisis.propose(s, inside, cfg, ALICE)
    assert out.ok and out.then[0].people == ("director",)


def test_the_timeline_team_is_the_team_called_and_the_site_stays_dark(db, tmp_path):
    cfg = load_config(setup(tmp_path, GOOD), env={})  # management: director; legal: the management rota
    incident = drill_report(db, ["chen"])
    with db.session() as s:
        assert crisis.activate(s, incident, cfg, ALICE, acceptor_only=False).ok
    with db.session() as s:
        c = crisis.crisis_for(s, incident)
        activated = s.query(AuditEvent).filter_by(incident_id=incident, kind="crisis.activated").one()
        assert activated.detail["team"] == {} and activated.detail["drill"] is True
        assert {e.detail["person"] for e in s.query(AuditEvent).filter_by(kind="crisis.drill_not_called")} \
            == {"director"}
        assert crisis.draft_statement(s, c.id, {"en-US": "Drill words"}, ALICE).ok
    with db.session() as s:
        statement = crisis.crisis_for(s, incident).statements[0].id
        assert crisis.approve_statement(s, statement, BOB, True, cfg=cfg).code == "published_drill"
        assert crisis.set_dark_site(s, c.id, True, ALICE).ok
    with db.session() as s:
        public = build(s, cfg, "en-US")
        preview = build(s, cfg, "en-US", preview_of=c.id)
    assert (public.on, public.entries) == (False, ())
    assert preview.on and [e.body for e in preview.entries] == ["Drill words"]
