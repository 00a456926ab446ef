"""A drill never rings anyone outside its participant list, whatever the rotas, policies, fallback,
overrides and moment: a property over random scenarios, against the callout engine's own
contact resolution (`hotline.paging.callout.store.contacts_for`), on a real database."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hotline.base.config import Person
from hotline.base.db import Database, create_schema
from hotline.drills.models import Drill
from hotline.paging.callout.store import contacts_for
from hotline.paging.models import Callout
from hotline.rotas.policy import OncallSettings, Override, Policy, Rota, Step

KEYS = ["chen", "lin", "wang", "huang", "director", "ghost"]
PEOPLE = {k: Person(k, k.title(), f"+8869120000{i:02d}", ("zh-TW",)) for i, k in enumerate(KEYS[:-1])}
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)

members = st.lists(st.sampled_from(KEYS[:-1]), min_size=1, max_size=3, unique=True).map(tuple)
steps = st.lists(st.one_of(st.builds(Step, st.just("person"), st.sampled_from(KEYS), st.just(25)),
                           st.builds(Step, st.just("rota"), st.sampled_from(["r1", "r2"]), st.just(25))),
                 min_size=1, max_size=5).map(tuple)


@st.composite
def worlds(draw):
    overrides = tuple(Override("r1", draw(st.sampled_from(KEYS[:-1])), T0 + timedelta(hours=h), T0 +
                               timedelta(hours=h + draw(st.integers(1, 48))))
                      for h in draw(st.lists(st.integers(0, 300), max_size=2)))
    rotas = {"r1": Rota("r1", draw(members), 0, time(9), "Asia/Taipei", date(2026, 1, 5), 1, overrides),
             "r2": Rota("r2", draw(members), 3, time(18), "Asia/Taipei", date(2026, 1, 8), 1)}
    policies = {"default": Policy("default", draw(steps)), "p2": Policy("p2", draw(steps))}
    oncall = OncallSettings(rotas=rotas, policies=policies, fallback=draw(steps))
    participants = draw(st.lists(st.sampled_from(KEYS), max_size=4, unique=True))
    policy = draw(st.sampled_from([None, "default", "p2", "gone"]))
    moment = T0 + timedelta(minutes=draw(st.integers(0, 60 * 24 * 28)))
    return oncall, participants, policy, moment


def test_contacts_stay_inside_the_participant_list(tmp_path_factory):
    db = Database(f"sqlite:///{tmp_path_factory.mktemp('drill-property') / 'p.db'}")
    create_schema(db.engine)

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(worlds())
    def check(world):
        oncall, participants, policy, moment = world
        with db.session() as s:
            drill = Drill(kind="full_scale", type_key="other", language="zh-TW", participants=participants,
                          policy_key=policy)
            s.add(drill)
            s.flush()
            callout = Callout(type_key="other", policy_key="default", drill_id=drill.id)
            s.add(callout)
            s.flush()
            rung = {c.person for c in contacts_for(callout, oncall, PEOPLE, moment)}
            assert rung <= set(participants), (rung, participants)
            if policy is None:  # listed people are rung in the order listed, each once
                assert rung == set(participants) & set(PEOPLE)

    check()
    db.engine.dispose()
