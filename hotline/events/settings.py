"""The `[events]` and `[event_rules.<type>]` sections of config.toml: limits of the events API
and the activation thresholds per incident type (see `hotline.events.rules`).

    [events]
    max_body_kb = 512                 # larger bodies get 413 (the Events API's own limit)
    rate_limit_per_minute = 600       # per integration; more gets 429 until the minute turns
    signature_window_seconds = 300    # a signed request older (or newer) than this is refused

    [event_rules.cyber_security]
    otherwise = "watch"               # when no rule matches: page (default) | watch | ignore
    rules = [
      { name = "large_leak", when = ["affected_records >= 1000"], action = "page" },
      { name = "critical", when = ["severity == critical"], action = "page" },
    ]

    [event_rules.natural_disaster]
    rules = [ { name = "major_quake", when = ["magnitude >= 6.5"], action = "activate" } ]

A rule's action is "page", "watch", "ignore" or "activate": page, and activate the type's crisis
plan (plans/<type>.toml) by the system, without waiting for a person to verify the report (a type
with no plan is still paged, and the timeline says why nothing was activated). `otherwise` cannot
be "activate": only a named rule activates a plan.

Every problem names the file, the key and the fix, like the rest of the configuration.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from hotline.base.config_errors import ConfigProblem, SectionReader
from hotline.events.rules import ConditionError, Rule, TypeRules, Verdict, parse_condition

if TYPE_CHECKING:
    from hotline.base.config import Config

EVENTS_KEYS = {"max_body_kb": (1, 10240, 512), "rate_limit_per_minute": (1, 1_000_000, 600),
               "signature_window_seconds": (10, 3600, 300)}
TYPE_KEYS = {"otherwise", "rules"}
RULE_KEYS = {"name", "when", "action"}
VERDICTS = ", ".join(f'"{v}"' for v in Verdict)
OTHERWISE = ", ".join(f'"{v}"' for v in Verdict if v != Verdict.ACTIVATE)


@dataclass(frozen=True)
class EventSettings:
    max_body_kb: int = 512
    rate_limit_per_minute: int = 600
    signature_window_seconds: int = 300
    rules: dict[str, TypeRules] = field(default_factory=dict)

    @property
    def max_body_bytes(self) -> int:
        return self.max_body_kb * 1024


def load_section(cfg: Config, file: str) -> tuple[EventSettings, list[ConfigProblem]]:
    def problem(key: str, value: Any, fix: str) -> None:
        problems.append(ConfigProblem(file, key, value, fix))

    section = SectionReader(cfg.raw, file, "events", EVENTS_KEYS)
    problems, raw = section.problems, section.raw
    limits: dict[str, int] = {k: default for k, (_, _, default) in EVENTS_KEYS.items()}
    for key, value in raw.items():
        if key not in EVENTS_KEYS:
            continue  # named by the reader
        low, high, _ = EVENTS_KEYS[key]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            problem(f"events.{key}", value, f"use a whole number from {low} to {high}")
            continue
        limits[key] = value
    rules: dict[str, TypeRules] = {}
    table = cfg.raw.get("event_rules", {})
    if not isinstance(table, dict):
        problem("event_rules", table, "add rules per type: [event_rules.cyber_security]")
        table = {}
    for type_key, spec in table.items():
        found = _type_rules(f"event_rules.{type_key}", spec, problem)
        if type_key not in cfg.incident_types:
            problem(f"event_rules.{type_key}", None,
                    f"no incident type {type_key!r}; use one of: {', '.join(cfg.incident_types)}")
        elif found is not None:
            rules[type_key] = found
    return EventSettings(rules=rules, **limits), problems


def _type_rules(key: str, spec: Any, problem: Any) -> TypeRules | None:
    if not isinstance(spec, dict):
        problem(key, spec, "must be a table with `rules` and optionally `otherwise`")
        return None
    for extra in sorted(set(spec) - TYPE_KEYS):
        problem(f"{key}.{extra}", spec[extra], "unknown setting; use `rules` and `otherwise`")
    otherwise = spec.get("otherwise", "page")
    if otherwise not in set(Verdict) - {Verdict.ACTIVATE}:
        problem(f"{key}.otherwise", otherwise, f"use one of {OTHERWISE} (only a named rule may activate a plan)")
        otherwise = "page"
    items = spec.get("rules", [])
    if not isinstance(items, list):
        problem(f"{key}.rules", items, 'a list of { name = "...", when = ["FIELD OP VALUE"], action = "page" }')
        items = []
    rules, names = [], set()
    for i, item in enumerate(items):
        rule = _rule(f"{key}.rules[{i}]", item, problem)
        if rule is None:
            continue
        if rule.name in names:
            problem(f"{key}.rules[{i}].name", rule.name, "give each rule of a type its own name")
        names.add(rule.name)
        rules.append(rule)
    return TypeRules(tuple(rules), Verdict(otherwise))


def _rule(key: str, item: Any, problem: Any) -> Rule | None:
    if not isinstance(item, dict):
        problem(key, item, 'write { name = "...", when = ["FIELD OP VALUE"], action = "page" }')
        return None
    for extra in sorted(set(item) - RULE_KEYS):
        problem(f"{key}.{extra}", item[extra], "unknown setting; use name, when and action")
    name, when, action = item.get("name"), item.get("when", []), item.get("action")
    ok = True
    if not isinstance(name, str) or not name.replace("_", "").replace("-", "").isalnum():
        problem(f"{key}.name", name, "name the rule with letters, digits, '_' or '-'")
        ok = False
    if action not in set(Verdict):
        problem(f"{key}.action", action, f"use one of {VERDICTS}")
        ok = False
    if isinstance(when, str):
        when = [when]
    if not isinstance(when, list) or not all(isinstance(w, str) for w in when):
        problem(f"{key}.when", when, 'a list of conditions such as ["affected_records >= 1000"]')
        return None
    conditions = []
    for j, text in enumerate(when):
        try:
            conditions.append(parse_condition(text))
        except ConditionError as exc:
            problem(f"{key}.when[{j}]", text, str(exc))
            ok = False
    return Rule(str(name), tuple(conditions), Verdict(cast(str, action))) if ok else None  # ok: a verdict
