"""Activation rules as tables: parsing, deciding, and the config section's problems."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.base.config import ROOT, ConfigError, load_config
from hotline.events import parse
from hotline.events.rules import ConditionError, Event, Rule, TypeRules, Verdict, decide, parse_condition
from hotline.events.settings import EventSettings

RULES = TypeRules(tuple(Rule(name, tuple(parse_condition(c) for c in conds), Verdict(verdict))
                        for name, conds, verdict in (
                            ("large_leak", ["affected_records >= 1000"], "page"),
                            ("quake", ["magnitude >= 5.0", "region in [north, \"east coast\"]"], "page"),
                            ("serious", ["severity >= error"], "page"),
                            ("noise", ["severity == info"], "ignore"),
                            ("lab", ["source == lab-1"], "ignore"),
                        )), Verdict.WATCH)


def ev(severity: str = "warning", source: str = "ids-1", **details: object) -> Event:
    return Event("trigger", "k", "summary", source, severity, custom_details=details)


@pytest.mark.parametrize(("event", "verdict", "rule"), [
    (ev(affected_records=1000), Verdict.PAGE, "cyber.large_leak"),
    (ev(affected_records="25000"), Verdict.PAGE, "cyber.large_leak"),  # numeric strings are numbers
    (ev(affected_records=999), Verdict.WATCH, "cyber.otherwise"),
    (ev(affected_records="many"), Verdict.WATCH, "cyber.otherwise"),  # not a number: no match
    (ev(magnitude=5.4, region="north"), Verdict.PAGE, "cyber.quake"),
    (ev(magnitude=5.4, region="east coast"), Verdict.PAGE, "cyber.quake"),
    (ev(magnitude=5.4, region="south"), Verdict.WATCH, "cyber.otherwise"),
    (ev(magnitude=4.9, region="north"), Verdict.WATCH, "cyber.otherwise"),
    (ev(severity="critical"), Verdict.PAGE, "cyber.serious"),
    (ev(severity="error"), Verdict.PAGE, "cyber.serious"),
    (ev(severity="info"), Verdict.IGNORE, "cyber.noise"),
    (ev(source="lab-1"), Verdict.IGNORE, "cyber.lab"),
    (ev(), Verdict.WATCH, "cyber.otherwise"),
])
def test_decide(event: Event, verdict: Verdict, rule: str) -> None:
    got, name, reason = decide(event, RULES, "cyber")
    assert (got, name) == (verdict, rule)
    assert reason


def test_no_rules_pages() -> None:
    assert decide(ev(), None, "other")[0] == Verdict.PAGE


@pytest.mark.parametrize("text", ["affected_records", "x >> 3", "source in ids", "severity >= loud", "x in []"])
def test_bad_conditions_say_why(text: str) -> None:
    with pytest.raises(ConditionError):
        parse_condition(text)


def test_the_shipped_config_validates_and_its_rules_decide() -> None:
    cfg = load_config(ROOT / "config.toml", env={})
    rules = cfg.section(EventSettings).rules
    assert decide(ev(affected_records=1500), rules["cyber_security"], "cyber_security")[0] == Verdict.PAGE
    assert decide(ev(affected_records=15), rules["cyber_security"], "cyber_security")[0] == Verdict.WATCH
    assert decide(ev(magnitude=3.2), rules["natural_disaster"], "natural_disaster")[0] == Verdict.WATCH
    assert decide(ev(magnitude=6.4), rules["natural_disaster"], "natural_disaster")[0] == Verdict.PAGE
    assert decide(ev(magnitude=6.5), rules["natural_disaster"], "natural_disaster")[:2] == \
        (Verdict.ACTIVATE, "natural_disaster.major_quake")


def _rules_problems(tmp_path: Path, rules: str) -> dict[str, str]:
    text = (ROOT / "config.toml").read_text(encoding="utf-8").split("# --- Events API", 1)[0]
    text = text.replace('flows_dir = "ivr_flows"', f'flows_dir = "{ROOT / "ivr_flows"}"')
    path = tmp_path / "config.toml"
    path.write_text(text + rules, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    assert all(p.file == str(path) for p in caught.value.problems)
    return {p.key: p.fix for p in caught.value.problems}


def test_an_activate_rule_parses_and_decides(tmp_path: Path) -> None:
    text = (ROOT / "config.toml").read_text(encoding="utf-8").split("# --- Events API", 1)[0]
    text = text.replace('flows_dir = "ivr_flows"', f'flows_dir = "{ROOT / "ivr_flows"}"')
    path = tmp_path / "config.toml"
    path.write_text(text + """
[event_rules.natural_disaster]
otherwise = "watch"
rules = [ { name = "major", when = ["magnitude >= 6.5"], action = "activate" } ]
""", encoding="utf-8")
    rules = load_config(path, env={}).section(EventSettings).rules["natural_disaster"]
    assert rules.rules[0].verdict == Verdict.ACTIVATE
    assert decide(ev(magnitude=7), rules, "natural_disaster")[:2] == (Verdict.ACTIVATE, "natural_disaster.major")
    assert decide(ev(magnitude=6.4), rules, "natural_disaster")[0] == Verdict.WATCH
    assert decide(ev(), rules, "natural_disaster")[0] == Verdict.WATCH  # no magnitude: never activates


def test_only_a_named_rule_activates(tmp_path: Path) -> None:
    found = _rules_problems(tmp_path, """
[event_rules.natural_disaster]
otherwise = "activate"
rules = [ { name = "major", when = ["magnitude >= 6.5"], action = "activates" } ]
""")
    assert "only a named rule" in found["event_rules.natural_disaster.otherwise"]
    assert '"activate"' in found["event_rules.natural_disaster.rules[0].action"]


def test_config_problems_name_file_key_and_fix(tmp_path: Path) -> None:
    text = (ROOT / "config.toml").read_text(encoding="utf-8").split("# --- Events API", 1)[0]
    text = text.replace('flows_dir = "ivr_flows"', f'flows_dir = "{ROOT / "ivr_flows"}"')
    path = tmp_path / "config.toml"
    path.write_text(text + """
[events]
rate_limit_per_minute = 0
[event_rules.cyber_security]
otherwise = "shout"
rules = [ { name = "a", when = ["records >>= 3"], action = "page" }, { name = "b", when = ["x > 1"], action = "run" } ]
[event_rules.nonsense]
rules = []
""", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    found = {p.key: p for p in caught.value.problems}
    assert set(found) >= {"events.rate_limit_per_minute", "event_rules.cyber_security.otherwise",
                          "event_rules.cyber_security.rules[0].when[0]", "event_rules.cyber_security.rules[1].action",
                          "event_rules.nonsense"}
    assert all(p.file == str(path) and p.fix for p in caught.value.problems)


def test_events_v2_parsing() -> None:
    event, errors = parse.events_v2({"event_action": "trigger", "payload": {
        "summary": "s", "source": "x", "severity": "error", "custom_details": {"n": 1}}})
    assert not errors and event is not None and len(event.dedup_key) == 32  # generated, as the Events API does
    _, errors = parse.events_v2({"event_action": "explode", "dedup_key": "x" * 300})
    assert len(errors) == 2


def test_alertmanager_groups_into_one_event() -> None:
    body = {"status": "firing", "groupKey": "{}:{alertname=\"X\"}", "commonLabels": {"alertname": "X"},
            "commonAnnotations": {}, "alerts": [
                {"status": "firing", "labels": {"alertname": "X", "severity": "warning"}, "annotations": {}},
                {"status": "firing", "labels": {"alertname": "X", "severity": "error"}, "annotations": {}}]}
    event, errors = parse.alertmanager(body)
    assert not errors and event is not None
    assert event.action == "trigger" and event.severity == "error" and event.custom_details["alerts_firing"] == 2
    resolved, _ = parse.alertmanager({**body, "status": "resolved"})
    assert resolved is not None and resolved.action == "resolve" and resolved.dedup_key == event.dedup_key
