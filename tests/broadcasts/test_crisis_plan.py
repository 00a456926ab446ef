"""A crisis plan tells staff: its `[broadcast]` table (groups, channels, a template per stage)
is checked with the plan; a stage's notice waits for a second admin under the two-person rule;
the first statement reaches staff on the one approval that publishes it; older plans without
the table load as before."""

from __future__ import annotations

from pathlib import Path

from hotline.base.config import load_config
from hotline.base.jobs import run
from hotline.base.lifecycle import Actor, Channel
from hotline.broadcasts import commands as broadcasts
from hotline.broadcasts.models import Broadcast, BroadcastState
from hotline.crisis import commands as crisis
from hotline.crisis.settings import CrisisSettings
from tests.support.broadcasts import group, people
from tests.support.crisis import GOOD, problems, setup
from tests.support.sandbox import Hotline

ALICE, BOB = Actor("alice", Channel.CONSOLE), Actor("bob", Channel.CONSOLE)
STAFF = """name,phone,email,department,site,language
Hana Yu,+886912300001,,Facilities,Taipei,en-US
Ivan Ko,+886912300002,,Facilities,Hsinchu,zh-TW
"""


def test_a_plan_stage_and_the_first_statement_reach_staff(h: Hotline):
    people(h, STAFF)
    group(h, "all_staff", "site = *")
    for person in h.config.people.values():
        h.sim.phone(person.phone).manual()
    call = h.report("12", "+886955000777")  # a natural disaster, someone injured
    incident = h.wait_for(lambda: h.incident_for(call.sid), what="incident")
    assert run(crisis.activate, incident.id, h.config, ALICE, acceptor_only=False).ok
    with h.session() as s:
        crisis_id = crisis.crisis_for(s, incident.id).id  # type: ignore[union-attr]

    # The first notice, from the plan's template: Alice drafts, she may not approve it, Bob does.
    out = run(crisis.tell_staff, crisis_id, "first_notice", h.config, ALICE)
    assert out.code == "drafted" and out.subject_id
    assert run(broadcasts.approve, out.subject_id, ALICE).code == "own_draft"
    assert run(broadcasts.approve, out.subject_id, BOB).code == "sending"
    text = h.wait_for(lambda: h.sim.phone("+886912300001").messages, what="Hana's notice")[0]["body"]
    assert f"A natural disaster has hit Example Org (reference {incident.ref})" in text and "Reply 1" in text
    assert "請依疏散指示" in h.wait_for(lambda: h.sim.phone("+886912300002").messages, what="Ivan's")[0]["body"]
    assert run(crisis.tell_staff, crisis_id, "evacuate", h.config, ALICE).code == "no_notice"

    # The first statement: one approval publishes it and sends it to staff.
    assert run(crisis.draft_statement, crisis_id, {"en-US": "Statement one: the plant is closed today."}, ALICE).ok
    with h.session() as s:
        statement_id = crisis.crisis_for(s, incident.id).statements[0].id  # type: ignore[union-attr]
    assert run(crisis.approve_statement, statement_id, BOB, True, cfg=h.config).code == "published"
    with h.session() as s:
        sent = s.query(Broadcast).filter_by(source="statement").one()
        assert (sent.state, sent.approved_by, sent.incident_id) == (BroadcastState.SENDING, "bob", incident.id)
    h.wait_for(lambda: any("Statement one" in m["body"] for m in h.sim.phone("+886912300001").messages),
               what="the statement by text")


def test_broadcast_table_is_checked_with_the_plan(tmp_path: Path):
    bad = GOOD + """
[broadcast]
groups = "all_staff"
channels = ["sms", "fax"]
ask_safety = "yes"
[broadcast.first_notice]
"en-US" = "At {when}"
"""
    found = problems(tmp_path, bad)
    assert "broadcast.groups" in found and "broadcast.channels" in found and "fax" not in found["broadcast.channels"]
    assert "broadcast.ask_safety" in found and "broadcast.first_notice.en-US" in found
    assert "broadcast.first_notice.zh-TW" in found  # every hotline language


def test_an_older_plan_without_broadcast_loads_as_before(tmp_path: Path):
    cfg = load_config(setup(tmp_path, GOOD), env={})
    assert cfg.section(CrisisSettings).plans["cyber_security"].broadcast is None
