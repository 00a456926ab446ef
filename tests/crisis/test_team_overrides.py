"""The crisis team is resolved by the one resolver paging uses, under the same overrides: a
console override and an accepted swap decide who leads a rota's role at activation (and who may
activate a plan), as they decide whom a report rings."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from hotline.base.config import load_config
from hotline.base.db import Database
from hotline.base.lifecycle import Actor, Channel
from hotline.base.models import Incident, utcnow
from hotline.crisis import commands as crisis
from hotline.crisis.models import CrisisMember
from hotline.rotas import overrides, swaps
from hotline.rotas.models import RotaSwap, stored_overrides
from hotline.rotas.policy import OncallSettings
from hotline.rotas.resolve import on_call_now
from tests.support.postgres import database

ALICE = Actor("alice", Channel.CONSOLE)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    with database("sqlite", tmp_path) as d:
        yield d


@pytest.fixture(scope="module")
def cfg():
    return load_config(env={})


def report(db: Database) -> int:
    with db.session() as s:
        row = Incident(type_key="cyber_security", language="en-US", ref=f"T{utcnow().microsecond}",
                       accepted_by="chen", status="accepted")
        s.add(row)
        s.flush()
        return row.id


def it_lead(db: Database, incident_id: int) -> str:
    with db.session() as s:
        return s.scalars(select(CrisisMember.person_key).join(CrisisMember.crisis).where(
            CrisisMember.role == "it_security", CrisisMember.crisis.has(incident_id=incident_id))).one()


def test_a_console_override_leads_the_role(db, cfg):
    now = utcnow()
    rota = cfg.section(OncallSettings).rotas["it_security"]
    usual = on_call_now(rota, now).person
    cover = "wang" if usual == "chen" else "chen"
    with db.session() as s:
        assert overrides.add_override(s, cfg.section(OncallSettings), set(cfg.people), rota="it_security",
                                      person=cover, start=now - timedelta(hours=1), end=now + timedelta(hours=2),
                                      actor=ALICE).ok
    i = report(db)
    with db.session() as s:
        assert crisis.activate(s, i, cfg, ALICE, acceptor_only=False, now=now).ok
    assert it_lead(db, i) == cover != usual


def test_an_accepted_swap_leads_the_role(db, cfg):
    settings = cfg.section(OncallSettings)
    rota = settings.rotas["it_security"]
    later = utcnow() + timedelta(days=1)
    usual = on_call_now(rota, later).person
    partner = "wang" if usual == "chen" else "chen"
    with db.session() as s:
        out = swaps.propose_swap(s, settings, cfg.people, stored_overrides(s, later), rota="it_security",
                                 partner=partner, start=later - timedelta(hours=1), end=later + timedelta(hours=1),
                                 actor=Actor(usual, Channel.CONSOLE))
        assert out.ok, out.message
    with db.session() as s:
        swap_id = s.scalars(select(RotaSwap.id)).one()
        assert swaps.accept_swap(s, swap_id, Actor(partner, Channel.CONSOLE)).ok
    i = report(db)
    with db.session() as s:
        assert crisis.activate(s, i, cfg, ALICE, acceptor_only=False, now=later).ok
    assert it_lead(db, i) == partner != usual
