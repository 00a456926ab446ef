"""Plans as data: the shipped plans load, and each kind of bad plan is refused with file, key and fix."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hotline.base.config import ROOT, load_config
from hotline.crisis.plans import ROLES, parse_duration
from hotline.crisis.settings import CrisisSettings
from tests.support.crisis import GOOD, problems, setup

SIX = {"natural_disaster", "cyber_security", "public_health", "supply_chain", "workplace_accident", "reputation"}







def test_the_shipped_plans_cover_the_six_types_in_both_languages():
    settings = load_config(env={}).section(CrisisSettings)
    assert set(settings.plans) == SIX
    for plan in settings.plans.values():
        assert {t.role for t in plan.team} == set(ROLES)
        assert set(plan.statement) == {"zh-TW", "en-US"}
        assert plan.steps and all(set(s.text) == {"zh-TW", "en-US"} for s in plan.steps)


def test_a_good_plan_loads_with_its_deadlines(tmp_path):
    plan = load_config(setup(tmp_path, GOOD), env={}).section(CrisisSettings).plans["cyber_security"]
    assert plan.steps[0].deadline == timedelta(minutes=60)
    assert plan.slot("legal").deputy.key == "chen"


def test_an_unknown_role_person_and_rota_are_refused(tmp_path):
    bad = GOOD.replace("[team.management]", "[team.catering]").replace('rota = "management"', 'rota = "nobody"')
    bad = bad.replace('deputy = "chen"', 'deputy = "ghost"')
    found = problems(tmp_path, bad)
    assert "unknown role" in found["team.catering"]
    assert "no rota `nobody`" in found["team.legal.rota"]
    assert "no person or rota `ghost`" in found["team.legal.deputy"]


def test_an_unknown_type_is_refused(tmp_path):
    found = problems(tmp_path, GOOD, name="volcano")
    assert "name the file after an incident type" in found["(file name)"]


def test_an_unknown_placeholder_is_refused(tmp_path):
    found = problems(tmp_path, GOOD.replace("reference {reference}.", "call {phone}."))
    assert "unknown placeholder" in found["statement.en-US"] and "{reference}" in found["statement.en-US"]


@pytest.mark.parametrize("deadline", ["soon", "60", "0m", "1d", ""])
def test_a_deadline_that_is_not_a_duration_is_refused(tmp_path, deadline):
    found = problems(tmp_path, GOOD.replace('"60m"', f'"{deadline}"'))
    assert "use a duration" in found["steps[0].deadline"]


def test_a_step_owner_outside_the_team_and_a_missing_language_are_refused(tmp_path):
    found = problems(tmp_path, GOOD.replace('owner = "legal"', 'owner = "hr"').replace(
        '"zh-TW" = "{time} {type} {site} {reference}"\n', ""))
    assert "role of this plan's team" in found["steps[0].owner"]
    assert "add the zh-TW text" in found["statement.zh-TW"]


def test_durations():
    assert parse_duration("90s") == timedelta(seconds=90)
    assert parse_duration("1h30m") == timedelta(minutes=90)
    assert parse_duration("2h") == timedelta(hours=2)
    assert parse_duration(60) is None


@pytest.mark.slow  # starts run.py as a process
def test_run_py_check_lists_the_plans_and_darksite_answers_help():
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "run.py", "check"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "crisis plans" in out.stdout and "cyber_security: team management=management" in out.stdout
    helped = subprocess.run([sys.executable, "run.py", "darksite", "--help"], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert helped.returncode == 0 and "darksite export DIR" in helped.stdout
