"""[drills] in config.toml: scenarios and surprise schedules; every mistake named with its key and fix."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from hotline.base.config import ConfigError, load_config
from hotline.drills.schedule import pick_time
from hotline.drills.settings import DrillSettings, phone_behaviour
from tests.support.callout import BASE_TOML

ONCALL = """
[policies.default]
steps = [ { person = "lin" } ]
"""

GOOD = """
[drills]
target_accept_seconds = 240

[drills.scenarios.night]
kind = "surprise"
type = "cyber_security"
severity = "danger"
report_text = "The mail server is encrypting files."
policy = "default"
participants = ["chen"]
phones = { chen = "press 1 after 10", lin = "voicemail" }
schedule = { every = "month", window = "nights" }
"""


def load(tmp_path, extra: str):
    path = tmp_path / "config.toml"
    path.write_text(BASE_TOML + ONCALL + extra, encoding="utf-8")
    return load_config(path, env={})


def problems(tmp_path, extra: str) -> str:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, extra)
    return "\n".join(str(p) for p in caught.value.problems)


def test_a_good_scenario_loads(tmp_path):
    drills = load(tmp_path, GOOD).section(DrillSettings)
    sc = drills.scenarios["night"]
    assert drills.targets.accept_seconds == 240
    assert (sc.kind, sc.type_key, sc.policy_key, sc.participants) == ("surprise", "cyber_security", "default",
                                                                       ("chen",))
    assert sc.phones["chen"] == {"mode": "script", "steps": ["1"], "answer_after": 10}
    assert sc.schedule is not None and sc.schedule.every == "month"


@pytest.mark.parametrize(("change", "key", "fix"), [
    (('type = "cyber_security"', 'type = "tsunami"'), "drills.scenarios.night.type", "no incident type `tsunami`"),
    (('participants = ["chen"]', 'participants = ["bob"]'), "drills.scenarios.night.participants[0]",
     "no person `bob`"),
    (('policy = "default"', 'policy = "nights"'), "drills.scenarios.night.policy", "no policy `nights`"),
    (('kind = "surprise"', 'kind = "rehearsal"'), "drills.scenarios.night.kind", "tabletop"),
    (('chen = "press 1 after 10"', 'chen = "maybe"'), "drills.scenarios.night.phones.chen", "answer after N"),
    (('window = "nights"', 'window = { days = [], from = "09:00", to = "18:00" }'),
     "drills.scenarios.night.schedule.window", "holds no moment"),
    (('window = "nights"', 'window = "weekends"'), "drills.scenarios.night.schedule.window", "working_hours"),
    (('schedule = { every = "month", window = "nights" }', ""), "drills.scenarios.night.schedule",
     "needs a schedule"),
    (('participants = ["chen"]', 'participants = ["chen"]\ninbound_from = "12"'),
     "drills.scenarios.night.inbound_from", "test caller's number"),
    (('report_text = "The mail server is encrypting files."', 'report_file = "nowhere.wav"'),
     "drills.scenarios.night.report_file", "no WAV file"),
])
def test_bad_scenarios_are_refused_with_the_key_and_the_fix(tmp_path, change, key, fix):
    found = problems(tmp_path, GOOD.replace(*change))
    assert f"{key} = " in found and fix in found, found


def test_picked_surprise_times_fall_inside_the_window_and_vary(tmp_path):
    sc_cfg = GOOD.replace('window = "nights"', 'window = { days = ["sun"], from = "22:00", to = "06:00" }')
    schedule = load(tmp_path, sc_cfg).section(DrillSettings).scenarios["night"].schedule
    start = datetime(2026, 3, 2, tzinfo=UTC)
    picks = {pick_time(schedule, start, random.Random(seed)) for seed in range(20)}
    assert len(picks) > 10
    for moment in picks:
        local = moment.astimezone(ZoneInfo("Asia/Taipei"))
        assert (local.weekday() == 6 and local.hour >= 22) or (local.weekday() == 0 and local.hour < 6), local
        assert start < moment < start + schedule.period


@pytest.mark.parametrize(("words", "expected"), [
    ("never", {"mode": "never"}), ("voicemail", {"mode": "voicemail"}),
    ("answer after 12", {"mode": "answer_after", "seconds": 12}),
    ("press 3", {"mode": "script", "steps": ["3"], "answer_after": 0}), ("ring twice", None),
])
def test_scripted_phones_in_words(words, expected):
    assert phone_behaviour(words) == expected


def test_a_whole_plan_scenario_and_its_plan_targets(tmp_path):
    """`whole_plan` and the plan's three targets load; a whole_plan that is not a yes/no is named."""
    cfg = load(tmp_path, GOOD.replace('target_accept_seconds = 240', 'target_accept_seconds = 240\n'
                                      'target_activate_seconds = 120\ntarget_team_confirmed_seconds = 180\n'
                                      'target_first_statement_seconds = 900')
               .replace('participants = ["chen"]', 'participants = ["chen"]\nwhole_plan = true'))
    settings = cfg.section(DrillSettings)
    assert settings.scenarios["night"].whole_plan is True
    t = settings.targets
    assert (t.activate_seconds, t.team_confirmed_seconds, t.first_statement_seconds) == (120, 180, 900)
    with pytest.raises(ConfigError) as err:
        load(tmp_path, GOOD.replace('participants = ["chen"]', 'participants = ["chen"]\nwhole_plan = "yes"'))
    assert {p.key for p in err.value.problems} == {"drills.scenarios.night.whole_plan"}
