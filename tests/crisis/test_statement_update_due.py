"""A published statement promises the next one (issue #25): the plan's `update_every` (60 min by
default) after it, the drafter and the communications lead are texted that it is due, through the
crisis SMS path, by a convergence-cycle step; once per due time, never twice when two engines run
the step at once; a newer statement brings a due time of its own. On SQLite and PostgreSQL (the
claim is a compare-and-set on the statement's row)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from hotline.base.config import ROOT, load_config
from hotline.base.config_errors import ConfigError
from hotline.crisis.commands import crisis_for
from hotline.crisis.models import CrisisMember, CrisisStatement, MemberState
from hotline.crisis.reminders import remind_update_due
from hotline.crisis.settings import CrisisSettings
from tests.support.crisis import client_for, make_hotline, write_config
from tests.support.lanes import starts_processes
from tests.support.sandbox import Hotline

CALLER = "+886955007301"
DUE_WORDS = "the next public statement was due at"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
@starts_processes
def h(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    yield from make_hotline(request, tmp_path_factory, request.param)


def _activated(h: Hotline) -> tuple[int, int]:
    h.sim.phone(CALLER).manual()
    c = h.report("22", CALLER)
    incident_id = h.wait_for(lambda: h.incident_for(c.sid), what="incident").id
    alice = client_for(h, "alice")
    alice.post(f"/console/incidents/{incident_id}/crisis/activate", data={"csrf_token": alice.csrf})
    with h.session() as s:
        crisis = crisis_for(s, incident_id)
        assert crisis is not None
        return incident_id, crisis.id


def _publish(h: Hotline, incident_id: int, crisis_id: int, text: str) -> CrisisStatement:
    alice, bob = client_for(h, "alice"), client_for(h, "bob")
    base = f"/console/incidents/{incident_id}/crisis"
    alice.post(f"{base}/{crisis_id}/statements", data={"csrf_token": alice.csrf, "body_en-US": text,
                                                        "body_zh-TW": text})
    with h.session() as s:
        statement = s.scalars(select(CrisisStatement).where(CrisisStatement.crisis_id == crisis_id)
                              .order_by(CrisisStatement.id.desc())).first()
    bob.post(f"{base}/statements/{statement.id}/approve", data={"csrf_token": bob.csrf})
    with h.session() as s:
        statement = s.get(CrisisStatement, statement.id)
        assert statement.published_at is not None
        s.expunge(statement)
        return statement


def _due_texts(h: Hotline, since: int) -> list:
    return [m for m in h.sim.messages[since:] if DUE_WORDS in m.body]


def _comms(h: Hotline, crisis_id: int) -> set[str]:
    """The communications members' phones now: a lead who has not confirmed after a few rounds of
    calls gets a deputy (the cycles below run an hour and more ahead), who is texted too."""
    with h.session() as s:
        return {h.config.people[m.person_key].phone for m in s.scalars(select(CrisisMember).where(
            CrisisMember.crisis_id == crisis_id, CrisisMember.role == "communications",
            CrisisMember.state.not_in((MemberState.FAILED, MemberState.STOOD_DOWN))))}


def _each_once(texts: list, phones: set[str]) -> None:
    tos = [m.to for m in texts]
    assert sorted(tos) == sorted(phones), (tos, phones, [m.body for m in texts])


def test_the_next_update_is_texted_once_when_it_falls_due(h: Hotline):
    incident_id, crisis_id = _activated(h)
    assert _comms(h, crisis_id)
    first = _publish(h, incident_id, crisis_id, "First statement. Next update within the hour.")
    due = first.published_at + timedelta(minutes=60)  # the plan sets no update_every: 60 min

    before = len(h.sim.messages)
    assert first.id not in h.converge(now=due - timedelta(seconds=5))["crisis_update_reminders"]
    assert first.id in h.converge(now=due + timedelta(seconds=1))["crisis_update_reminders"]
    comms = _comms(h, crisis_id)
    _each_once(_due_texts(h, before), comms)
    assert h.audit(incident_id, "crisis.update_due_sms")
    assert not h.converge(now=due + timedelta(minutes=30))["crisis_update_reminders"]  # once per due time
    _each_once(_due_texts(h, before), comms)

    # A newer statement: a due time of its own; two engines running the step at once text it once.
    second = _publish(h, incident_id, crisis_id, "Second statement.")
    later = second.published_at + timedelta(minutes=60, seconds=1)
    before = len(h.sim.messages)
    found: list[list[int]] = []
    start = threading.Barrier(2)

    def engine() -> None:
        start.wait()
        found.append(remind_update_due(later))

    threads = [threading.Thread(target=engine) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(sum(found, [])) == [second.id]
    _each_once(_due_texts(h, before), _comms(h, crisis_id))


def test_update_every_is_validated_like_the_other_plan_keys(tmp_path):
    """`update_every` in a plan: a duration from 5m to 24h; anything else names the file, key and fix."""
    plans = tmp_path / "plans"
    plans.mkdir()
    source = (ROOT / "plans" / "cyber_security.toml").read_text(encoding="utf-8")
    (plans / "cyber_security.toml").write_text('update_every = "45m"\n' + source, encoding="utf-8")
    path = write_config(tmp_path, "")
    text = path.read_text(encoding="utf-8").replace(f'plans_dir = "{ROOT / "plans"}"', f'plans_dir = "{plans}"')
    path.write_text(text, encoding="utf-8")
    assert load_config(path).section(CrisisSettings).plans["cyber_security"].update_every == timedelta(minutes=45)
    (plans / "cyber_security.toml").write_text('update_every = "soon"\n' + source, encoding="utf-8")
    with pytest.raises(ConfigError) as bad:
        load_config(path)
    assert "cyber_security.toml" in str(bad.value) and "update_every" in str(bad.value) and '"5m"' in str(bad.value)

