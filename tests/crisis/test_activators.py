"""Who may activate a plan (#28 item 6): `[activators]` in a plan, the permission decision as
plain functions, and on the sim: an admin who is not an activator is refused, proposes instead,
and the activator is texted, sees "proposed by" and activates."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from hotline.base import jobs
from hotline.base.config import ROOT, Person, load_config
from hotline.base.lifecycle import Actor, Channel
from hotline.base.models import Incident
from hotline.base.states import IncidentStatus
from hotline.crisis import commands, team
from hotline.crisis.models import Crisis, CrisisState
from hotline.crisis.plans import Activators, Assignee, Plan, TeamSlot
from hotline.crisis.settings import CrisisSettings
from hotline.paging import commands as paging
from hotline.service.embedded_redis import start_embedded_redis
from tests.support.console import logged_in_client
from tests.support.crisis import GOOD, problems, setup, write_config
from tests.support.lanes import starts_processes
from tests.support.postgres import database_for
from tests.support.sandbox import Hotline

CALLER = "+886912345676"
DIRECTOR_PW = "director pass phrase"
PEOPLE = {"chen": Person("chen", "Chen Wei", "+886912000001", ("en-US",)),
          "director": Person("director", "Director Lee", "+886912000009", ("en-US",))}
PLAN = Plan("cyber_security", (TeamSlot("management", (Assignee("person", "director"),)),
                               TeamSlot("legal", (Assignee("person", "chen"),))), (), {})


# --- the plan's [activators], validated with the plan ---------------------------------------

def test_activators_load_with_the_plan(tmp_path):
    cfg = load_config(setup(tmp_path, GOOD + '\n[activators]\nroles = ["legal"]\npeople = ["counsel"]\n'), env={})
    assert cfg.section(CrisisSettings).plans["cyber_security"].activators == Activators(("legal",), ("counsel",))


def test_no_activators_is_todays_behaviour(tmp_path):
    assert load_config(setup(tmp_path, GOOD), env={}).section(CrisisSettings).plans["cyber_security"].activators is None


def test_bad_activators_name_the_key_and_the_fix(tmp_path):
    found = problems(tmp_path, GOOD + '\n[activators]\nroles = ["hr"]\npeople = ["nobody"]\nteam = ["x"]\n')
    assert "role of this plan's team" in found["activators.roles"]  # hr is a role, but not on this team
    assert "person in config.toml" in found["activators.people"]
    assert "unknown key" in found["activators.team"]


def test_activators_naming_nobody_are_refused(tmp_path):
    found = problems(tmp_path, GOOD + "\n[activators]\nroles = []\n")
    assert "at least one role or person" in found["activators"]


# --- the permission decision, plain functions ------------------------------------------------

def test_activators_are_the_people_named_and_the_leads_of_the_roles_named():
    seats = [team.Seat("management", "director"), team.Seat("legal", "chen")]
    assert team.activators(PLAN, seats) is None
    only_legal = Plan(**{**PLAN.__dict__, "activators": Activators(("legal",), ())})
    assert team.activators(only_legal, seats) == {"chen"}
    both = Plan(**{**PLAN.__dict__, "activators": Activators(("legal",), ("director",))})
    assert team.activators(both, seats) == {"chen", "director"}


@pytest.mark.parametrize(("who", "person"), [("chen", "chen"), ("Chen", "chen"), ("Chen Wei", "chen"),
                                              (" director lee ", "director"), ("alice", None)])
def test_a_console_user_is_the_person_whose_key_or_name_they_bear(who, person):
    assert team.person_for(who, PEOPLE) == person


def test_may_activate():
    cfg = load_config(ROOT / "config.toml", env={})
    assert commands.may_activate("alice", None, cfg)  # no activators: as before
    assert commands.may_activate("director", frozenset({"director"}), cfg)
    assert commands.may_activate("Director Lee", frozenset({"director"}), cfg)
    assert not commands.may_activate("chen", frozenset({"director"}), cfg)
    assert not commands.may_activate("alice", frozenset({"director"}), cfg)  # no such person: not allowed


# --- on the sim -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
@starts_processes
def h(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hotline]:
    """The repository's config and plans, with the cyber-security plan activated only by the
    director, who is also a console user (linked by name: the console has no link of its own)."""
    tmp = tmp_path_factory.mktemp("activators")
    shutil.copytree(ROOT / "plans", tmp / "plans")
    with (tmp / "plans" / "cyber_security.toml").open("a", encoding="utf-8") as f:
        f.write('\n[activators]\npeople = ["director"]\n')
    director = (f'\n[console.users.director]\nrole = "admin"\npassword_hash = '
                f'"{generate_password_hash(DIRECTOR_PW, method="pbkdf2:sha256:1000")}"\n')
    path = write_config(tmp, director)
    path.write_text(path.read_text(encoding="utf-8").replace(f'plans_dir = "{ROOT / "plans"}"',
                                                             f'plans_dir = "{tmp / "plans"}"'), encoding="utf-8")
    redis = start_embedded_redis(tmp / "redis", persist=False)
    url, drop = database_for("sqlite")
    hotline = Hotline(tmp, redis.url, url, on_close=drop, config_path=path)
    hotline.start_worker("callout", "recordings", "default")
    yield hotline
    hotline.close()
    redis.stop()


def _crisis(h: Hotline, incident_id: int) -> Crisis | None:
    with h.session() as s:
        return s.scalar(select(Crisis).where(Crisis.incident_id == incident_id))


def test_a_non_activator_is_refused_and_their_proposal_texts_the_activator(h: Hotline):
    for person in h.config.people.values():
        h.sim.phone(person.phone).manual()
    h.sim.phone(CALLER).manual()
    call = h.report("22", CALLER)
    incident = h.wait_for(lambda: h.incident_for(call.sid), what="incident")
    url = f"/console/incidents/{incident.id}"

    alice = logged_in_client(h, "alice", "alice pass phrase")
    alice.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en-US"
    page = alice.get(url).get_data(as_text=True)
    assert 'id="crisis-propose-form"' in page and 'id="crisis-activate-form"' not in page
    page = alice.post(url + "/crisis/activate", data={"csrf_token": alice.csrf},
                      follow_redirects=True).get_data(as_text=True)
    assert "You may not activate this plan" in page
    assert _crisis(h, incident.id) is None and h.audit(incident.id, "crisis.activation_refused")

    page = alice.post(url + "/crisis/propose", data={"csrf_token": alice.csrf},
                      follow_redirects=True).get_data(as_text=True)
    assert "Activation proposed: those who may activate the plan are texted." in page
    proposed = h.audit(incident.id, "crisis.proposed")
    assert proposed and proposed[0].actor == "alice" and proposed[0].detail["activators"] == ["director"]
    director_phone = h.config.people["director"].phone
    # The text is a job on the callout queue, behind the report's own paging: wait for it, not a clock.
    sent = h.wait_for(lambda: h.audit(incident.id, "crisis.proposal_sms") or
                      h.audit(incident.id, "crisis.proposal_sms_failed"), 120, what="the text, sent or failed")
    assert sent[0].kind == "crisis.proposal_sms" and sent[0].detail["to"] == director_phone
    h.sim.phone(director_phone).expect_sms("proposes activating")
    assert not any(m.to == h.config.people["chen"].phone and "proposes" in m.body for m in h.sim.messages)

    director = logged_in_client(h, "director", DIRECTOR_PW)
    director.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en-US"
    page = director.get(url).get_data(as_text=True)
    assert "Activation proposed by alice at" in page and 'id="crisis-activate-form"' in page
    assert 'id="crisis-propose-form"' not in page
    page = director.post(url + "/crisis/activate", data={"csrf_token": director.csrf},
                         follow_redirects=True).get_data(as_text=True)
    assert "Crisis plan activated: the team is being called." in page
    crisis = _crisis(h, incident.id)
    assert crisis is not None and crisis.state == CrisisState.ACTIVE and crisis.decided_by == "director"


def test_a_responder_who_may_not_activate_proposes_by_pressing_7(h: Hotline):
    """The cyber-security rota (chen, wang) is not the plan's activator (the director). The earlier
    reports are closed first, so this one is paged on a callout of its own."""
    with h.session() as s:
        open_ids = list(s.scalars(select(Incident.id).where(Incident.status != IncidentStatus.CLOSED)))
    for incident_id in open_ids:
        jobs.run(paging.resolve, incident_id, Actor("alice", Channel.CONSOLE), "done")
    for person in h.config.people.values():
        h.sim.phone(person.phone).manual()
    caller = "+886912345675"
    h.sim.phone(caller).manual()
    seen = {c.sid for c in h.sim.call_objects()}
    call = h.report("22", caller)
    incident = h.wait_for(lambda: h.incident_for(call.sid), what="incident")
    ring = h.sim.wait_for(lambda: next((c for c in h.sim.call_objects() if c.sid not in seen and
                                        "/voice/callout/" in (c.options.url or "")), None), 60, "the callout's call")
    responder = h.sim.handle(ring.sid)
    responder.answer()
    responder.expect_say("Press 1 to accept")
    responder.press("1")
    responder.expect_say("Press 7 to confirm the report is real")
    responder.press("7")
    responder.expect_say("activation proposed")
    assert _crisis(h, incident.id) is None
    assert h.audit(incident.id, "crisis.activation_refused")
    proposed = h.audit(incident.id, "crisis.proposed")
    assert proposed and proposed[0].actor in ("chen", "wang") and proposed[0].detail["activators"] == ["director"]
    sent = h.wait_for(lambda: h.audit(incident.id, "crisis.proposal_sms"), 120, what="the proposal texted")
    assert sent[0].detail["to"] == h.config.people["director"].phone


@pytest.mark.parametrize(("who", "person"), [("alice", "chen"), ("bob", "director"), ("ghost", None)])
def test_a_console_login_is_the_person_its_config_names(who, person):
    """`person = "chen"` under `[console.users.alice]` makes alice Chen for the plan's activators
    and the statement reminders; a login naming nobody on the rota is nobody."""
    logins = {"alice": "chen", "bob": "director", "ghost": "nobody-on-the-rota"}
    assert team.person_for(who, PEOPLE, logins) == person
