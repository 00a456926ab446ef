"""config.toml on-call sections: a good file parses; every mistake is reported with its fix."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from hotline.base.config import ConfigError, load_config
from hotline.rotas.policy import OncallSettings, Step

GOOD = """
[oncall]
rounds = 3
repeat_minutes = 10
storm_window_minutes = 15
default_ring_timeout = 20
fallback = ["director", "mgmt"]

[rotas.it]
members = ["chen", "wang"]
handoff = { weekday = "monday", time = "09:00" }
start = "2026-01-05"

[[rotas.it.overrides]]
person = "lin"
start = "2026-12-24T18:00"
end = "2026-12-26T09:00"

[rotas.mgmt]
members = ["director"]
timezone = "Europe/London"

[policies.cyber_security]
steps = [ { rota = "it", ring_timeout = 30 }, { person = "lin" } ]

[policies.default]
steps = [ { person = "lin" } ]
"""


def oncall(config_file, extra: str) -> OncallSettings:
    return load_config(config_file(extra), env={}).section(OncallSettings)


def problems(config_file, extra: str) -> list[str]:
    with pytest.raises(ConfigError) as err:
        load_config(config_file(extra), env={})
    return [str(p) for p in err.value.problems]


def test_good_file_parses_everything(config_file):
    s = oncall(config_file, GOOD)
    assert (s.rounds, s.repeat_minutes, s.default_ring_timeout, s.implicit) == (3, 10, 20, False)
    assert s.fallback == (Step("person", "director", 20), Step("rota", "mgmt", 20))
    it = s.rotas["it"]
    assert (it.members, it.handoff_weekday, it.handoff_time) == (("chen", "wang"), 0, time(9, 0))
    assert (it.timezone, it.start) == ("Asia/Taipei", date(2026, 1, 5))  # organisation zone by default
    (o,) = it.overrides
    assert (o.person, o.start, o.end) == ("lin", datetime(2026, 12, 24, 10, tzinfo=UTC),
                                          datetime(2026, 12, 26, 1, tzinfo=UTC))
    assert s.rotas["mgmt"].timezone == "Europe/London"
    assert s.policy_for("cyber_security").steps == (Step("rota", "it", 30), Step("person", "lin", 20))
    assert s.policy_for("reputation").key == "default"
    assert s.policy_for(None).key == "default"


def test_without_oncall_sections_everyone_is_called_in_file_order(config_file):
    s = oncall(config_file, "")
    assert s.implicit
    assert [step.ref for step in s.policy_for("other").steps] == ["chen", "lin", "wang", "director"]


def test_toml_native_datetimes_are_accepted(config_file):
    extra = GOOD.replace('start = "2026-12-24T18:00"', "start = 2026-12-24T18:00:00")
    extra = extra.replace('start = "2026-01-05"', "start = 2026-01-05")
    assert oncall(config_file, extra).rotas["it"].overrides[0].start == datetime(2026, 12, 24, 10, tzinfo=UTC)


@pytest.mark.parametrize(("change", "key", "fix_fragment"), [
    (('{ person = "lin" } ]\n\n[policies.default]', '{ person = "nobody" } ]\n\n[policies.default]'),
     "policies.cyber_security.steps[1].person", "no person `nobody`"),
    (('{ rota = "it", ring_timeout = 30 }', '{ rota = "ops" }'), "policies.cyber_security.steps[0].rota",
     "no rota `ops`"),
    (('steps = [ { person = "lin" } ]', "steps = []"), "policies.default.steps", "empty policy calls nobody"),
    (("[policies.default]", "[policies.tsunami]"), "policies.tsunami", "no incident type `tsunami`"),
    (('members = ["chen", "wang"]', "members = []"), "rotas.it.members", "list who takes turns"),
    (('weekday = "monday"', 'weekday = "funday"'), "rotas.it.handoff.weekday", "use a day name"),
    (('time = "09:00"', 'time = "9am"'), "rotas.it.handoff.time", "HH:MM"),
    (('time = "09:00"', 'time = "25:00"'), "rotas.it.handoff.time", "HH:MM"),
    (('start = "2026-01-05"', 'start = "2026-01-07"'), "rotas.it.start", "use 2026-01-05 or 2026-01-12"),
    (('end = "2026-12-26T09:00"', 'end = "2026-12-24T09:00"'), "rotas.it.overrides[0].end", "must be after"),
    (('person = "lin"\nstart', 'person = "ghost"\nstart'), "rotas.it.overrides[0].person",
     "no person `ghost`"),
    (('timezone = "Europe/London"', 'timezone = "Mars/Olympus"'), "rotas.mgmt.timezone", "IANA"),
    (("rounds = 3", "rounds = 0"), "oncall.rounds", "from 1 to 10"),
    (("rounds = 3", "roundz = 3"), "oncall.roundz", "unknown setting"),
    (('ring_timeout = 30', 'ring_timeout = 2'), "policies.cyber_security.steps[0].ring_timeout", "5 to 120"),
    (('fallback = ["director", "mgmt"]', 'fallback = ["director", "board"]'), "oncall.fallback[1].person",
     "no person `board`"),
    (('{ rota = "it", ring_timeout = 30 }', '{ rota = "it", person = "lin" }'),
     "policies.cyber_security.steps[0]", "exactly one of"),
])
def test_each_mistake_names_key_value_and_fix(config_file, change, key, fix_fragment):
    old, new = change
    assert old in GOOD
    found = problems(config_file, GOOD.replace(old, new, 1))
    matching = [p for p in found if f": {key} = " in p]
    assert matching, found
    assert fix_fragment in matching[0]
    assert matching[0].startswith(str(config_file("").parent / "config.toml"))


def test_all_problems_are_collected_not_just_the_first(config_file):
    lin_step = '{ person = "lin" } ]\n\n[policies.default]'
    bad = (GOOD.replace('weekday = "monday"', 'weekday = "funday"')
           .replace(lin_step, lin_step.replace("lin", "nobody"))
           .replace("rounds = 3", "rounds = 99"))
    found = problems(config_file, bad)
    keys = {p.split(" = ")[0].split(": ", 1)[1] for p in found}
    assert {"rotas.it.handoff.weekday", "policies.cyber_security.steps[1].person", "oncall.rounds"} <= keys


def test_types_without_policy_need_a_default(config_file):
    extra = GOOD.replace("[policies.default]\nsteps = [ { person = \"lin\" } ]\n", "")
    (found,) = problems(config_file, extra)
    assert "policies.default" in found and "other, reputation" in found


def test_a_rota_named_like_a_person_is_ambiguous(config_file):
    extra = GOOD + '\n[rotas.lin]\nmembers = ["chen"]\n'
    assert any("rotas.lin = 'lin'" in p and "rename the rota" in p for p in problems(config_file, extra))
