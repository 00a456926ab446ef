"""Activation thresholds: which events page at once, which are recorded and watched, which are
ignored. Pure functions over plain data, so a rule set is tested as a table and
`run.py events test FILE.json` can show a verdict without touching anything.

A condition is one line an organisation writes in config.toml:

    "affected_records >= 1000"      a number in custom_details (numeric strings count as numbers)
    "magnitude >= 5.0"
    "severity >= error"             severities compare by rank: info < warning < error < critical
    "source in [ids-1, ids-2]"      a list of bare words or quoted strings
    "region == \"north\""           equality (!= too); strings compare as written

Names are the payload's own fields (`severity`, `summary`, `source`, `component`, `group`,
`class`) or a key of `custom_details` (dotted for nesting, `custom_details.` optional). A rule
matches when all of its conditions hold; the first matching rule of the type decides; a missing
field never matches. A rule's action is "page", "watch", "ignore" or "activate" (page, and
activate the type's crisis plan at once: `hotline.events.commands` rule 2b). When none matches,
the type's `otherwise` decides: "page" by default, so a signal nobody wrote a rule for is
treated like a phone report, never silently dropped.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Verdict(StrEnum):
    PAGE = "page"  # an incident, paged at once
    WATCH = "watch"  # an incident, recorded with the reason and explicitly not paged
    IGNORE = "ignore"  # nothing but an audit row
    ACTIVATE = "activate"  # paged at once like "page", and the type's crisis plan activated by the system


PAGED = (Verdict.PAGE, Verdict.ACTIVATE)  # the verdicts that page the incident they open


SEVERITIES = ("info", "warning", "error", "critical")  # the Events API's, lowest first
PAYLOAD_FIELDS = ("severity", "summary", "source", "component", "group", "class")
OPERATORS = (">=", "<=", "==", "!=", ">", "<", "in")
_CONDITION = re.compile(r"^\s*([A-Za-z_][\w.-]*)\s*(>=|<=|==|!=|>|<|\bin\b)\s*(.+?)\s*$")


@dataclass(frozen=True)
class Event:
    """One event as the lifecycle sees it, whatever format it arrived in."""

    action: str  # trigger | acknowledge | resolve
    dedup_key: str
    summary: str = ""
    source: str = ""
    severity: str = "critical"
    component: str = ""
    group: str = ""
    class_: str = ""
    custom_details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Condition:
    name: str
    op: str
    value: Any  # a number, a string, or for `in` a tuple of them
    text: str

    def holds(self, event: Event) -> tuple[bool, Any]:
        found = lookup(event, self.name)
        if found is None:
            return False, None
        return compare(self.name, found, self.op, self.value), found


@dataclass(frozen=True)
class Rule:
    name: str
    when: tuple[Condition, ...]
    verdict: Verdict


@dataclass(frozen=True)
class TypeRules:
    rules: tuple[Rule, ...] = ()
    otherwise: Verdict = Verdict.PAGE


class ConditionError(ValueError):
    pass


def parse_condition(text: str) -> Condition:
    """One written condition, or ConditionError saying what is wrong with it."""
    m = _CONDITION.match(text)
    if not m:
        raise ConditionError(f"write `FIELD OP VALUE` with OP one of {', '.join(OPERATORS)}")
    name, op, raw = m.group(1), m.group(2), m.group(3)
    name = name.removeprefix("custom_details.")
    if op == "in":
        if not (raw.startswith("[") and raw.endswith("]")):
            raise ConditionError("`in` takes a list, e.g. source in [ids-1, \"ids 2\"]")
        items = [part.strip() for part in raw[1:-1].split(",") if part.strip()]
        if not items:
            raise ConditionError("the list after `in` is empty")
        return Condition(name, op, tuple(_literal(i) for i in items), text)
    value = _literal(raw)
    if op in (">=", "<=", ">", "<"):
        if name == "severity" and value not in SEVERITIES:
            raise ConditionError(f"severity compares with one of {', '.join(SEVERITIES)}")
        if name != "severity" and _number(value) is None:
            raise ConditionError(f"{op} compares numbers, e.g. {name} {op} 1000")
    return Condition(name, op, value, text)


_BARE = re.compile(r"^[\w.:/@+-]+$")


def _literal(raw: str) -> Any:
    """A TOML literal (1000, 5.0, "text") or a bare word (letters, digits, . : / @ + - _)."""
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        if _BARE.match(raw):
            return raw
        raise ConditionError(f"write {raw!r} as a number, a single word or a \"quoted string\"") from None


def lookup(event: Event, name: str) -> Any:
    if name in PAYLOAD_FIELDS:
        value = getattr(event, "class_" if name == "class" else name)
        return value if value != "" else None
    node: Any = event.custom_details
    for part in name.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def compare(name: str, found: Any, op: str, wanted: Any) -> bool:
    if op == "in":
        return any(_equal(found, w) for w in wanted)
    if op == "==":
        return _equal(found, wanted)
    if op == "!=":
        return not _equal(found, wanted)
    a: float | None
    b: float | None
    if name == "severity" and str(found) in SEVERITIES:
        a, b = float(SEVERITIES.index(str(found))), float(SEVERITIES.index(str(wanted)))
    else:
        a, b = _number(found), _number(wanted)
        if a is None or b is None:
            return False
    return {">=": a >= b, "<=": a <= b, ">": a > b, "<": a < b}[op]


def _equal(found: Any, wanted: Any) -> bool:
    a, b = _number(found), _number(wanted)
    if a is not None and b is not None:
        return a == b
    return str(found) == str(wanted)


def decide(event: Event, rules: TypeRules | None, type_key: str = "") -> tuple[Verdict, str, str]:
    """(verdict, rule name, reason): the first rule of the type whose conditions all hold."""
    rules = rules or TypeRules()
    for rule in rules.rules:
        seen = []
        for cond in rule.when:
            ok, found = cond.holds(event)
            if not ok:
                break
            seen.append(f"{cond.name} = {found!r}" if cond.name not in PAYLOAD_FIELDS else f"{cond.name} {found}")
        else:
            name = f"{type_key}.{rule.name}" if type_key else rule.name
            why = " and ".join(c.text for c in rule.when) or "always"
            return rule.verdict, name, f"rule {name} ({why}; {', '.join(seen) or 'no conditions'})"
    name = f"{type_key}.otherwise" if type_key else "otherwise"
    return rules.otherwise, name, f"no rule of {type_key or 'this type'} matched: {rules.otherwise}"


def describe(rules: Sequence[Rule]) -> list[str]:
    return [f"{r.name}: {' and '.join(c.text for c in r.when) or 'always'} -> {r.verdict}" for r in rules]
