"""Crisis plans: `plans/<type>.toml`, data only, one file per incident type.

A plan says, for one incident type, who forms the crisis team (by role), what must be done by
when after activation (the checklist), and the first public statement per language. Plans are
validated with config.toml (`hotline.crisis.settings` loads them), in the same words (file,
key, fix), so `run.py check` and start-up refuse a plan that names an unknown person, rota, role
or type, a template placeholder we cannot fill, or a deadline that is not a duration.

    # plans/cyber_security.toml (the file name is the incident type)
    [team.it_security]              # roles: management, communications, it_security, legal, hr
    rota = "it_security"            # and/or person = "chen"; either may be a list: person = ["a", "b"]
    deputy = "wang"                 # optional: a person or rota rung when a lead does not confirm

    [[steps]]
    owner = "communications"        # a role of this plan's team
    deadline = "60m"                # after activation: 90s, 45m, 2h, 1h30m
    text = { "zh-TW" = "...", "en-US" = "Publish the first statement" }

    [statement]                     # per hotline language; placeholders {type} {time} {site} {reference}
    "en-US" = "On {time} we activated our {type} crisis plan ..."

    update_every = "60m"            # optional (default 60m): a published statement promises the next
                                    # one this much later; the console counts down and the drafter
                                    # and the communications lead are texted when it falls due

    [activators]                    # optional: who may activate it (absent: any admin, or the acceptor)
    roles = ["management"]          # whoever holds one of this plan's team roles now (leads, as resolved)
    people = ["director"]           # and/or people by key; others may only propose (hotline.crisis.commands)

    [broadcast]                     # optional: telling staff (hotline.broadcasts), by directory group
    groups = ["all_staff"]          # directory group keys (run.py directory groups)
    channels = ["sms", "email"]     # in the order they are tried: sms, voice, email, push
    ask_safety = true               # notices ask "are you safe?" (1 safe, 2 need help: an incident, paged)
    two_person_rule = true          # a notice waits for a second admin (default: [broadcasts] two_person_rule)
    with_statement = true           # the first statement also goes to these groups, on its one approval

    [broadcast.first_notice]        # a template per stage: first_notice, update, all_clear; same placeholders
    "en-US" = "A {type} incident (reference {reference}) is under way at {site}. ..."
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from string import Formatter
from typing import TYPE_CHECKING, Any

from hotline.base import durations
from hotline.base.config_errors import ConfigProblem

if TYPE_CHECKING:
    from hotline.base.config import Config

ROLES = ("management", "communications", "it_security", "legal", "hr")
PLACEHOLDERS = ("type", "time", "site", "reference")
PLAN_KEYS = {"team", "steps", "statement", "broadcast", "activators", "update_every"}
UPDATE_EVERY = timedelta(minutes=60)  # a plan without update_every: the next statement is due an hour later
STAGES = ("first_notice", "update", "all_clear")
BROADCAST_KEYS = {"groups", "channels", "ask_safety", "two_person_rule", "with_statement", *STAGES}
CHANNELS = ("sms", "voice", "email", "push")


@dataclass(frozen=True)
class Assignee:
    """A person, or whoever covers a rota at the moment the team is notified."""

    kind: str  # "person" | "rota"
    key: str


@dataclass(frozen=True)
class TeamSlot:
    role: str
    leads: tuple[Assignee, ...]  # everyone notified for the role (usually one)
    deputy: Assignee | None = None


@dataclass(frozen=True)
class Step:
    owner: str  # a role of the plan's team
    deadline: timedelta  # after activation
    text: dict[str, str]  # per language


@dataclass(frozen=True)
class PlanBroadcast:
    """Telling staff: which directory groups, over which channels, a template per stage."""

    groups: tuple[str, ...]
    channels: tuple[str, ...]
    stages: dict[str, dict[str, str]]  # stage -> language -> template
    ask_safety: bool = False
    two_person_rule: bool | None = None  # None: [broadcasts] two_person_rule
    with_statement: bool = False


@dataclass(frozen=True)
class Activators:
    """Who may activate a plan: the people named, and whoever leads one of the roles named."""

    roles: tuple[str, ...] = ()
    people: tuple[str, ...] = ()


@dataclass(frozen=True)
class Plan:
    type_key: str
    team: tuple[TeamSlot, ...]
    steps: tuple[Step, ...]
    statement: dict[str, str]  # per language, with {type} {time} {site} {reference}
    path: Path | None = None
    broadcast: PlanBroadcast | None = None  # absent from older plans: nobody beyond the team is told
    activators: Activators | None = None  # absent: anyone the verdict's channel allows (today's behaviour)
    update_every: timedelta = UPDATE_EVERY  # after a published statement, when the next one is due

    def slot(self, role: str) -> TeamSlot | None:
        return next((t for t in self.team if t.role == role), None)


def parse_duration(value: Any) -> timedelta | None:
    """A step's deadline after activation (`hotline.base.durations`: "60m", "2h", "1h30m"); None
    for anything else, which the loader reports with the key."""
    try:
        return durations.parse_duration(value, units="hms")
    except ValueError:
        return None


class Problems:
    def __init__(self) -> None:
        self.found: list[ConfigProblem] = []

    def add(self, file: str, key: str, value: Any, fix: str) -> None:
        self.found.append(ConfigProblem(file, key, value, fix))


def load_plans(cfg: Config, folder: Path, p: Problems) -> dict[str, Plan]:
    plans = {}
    for path in sorted(folder.glob("*.toml")):
        plan = _plan(cfg, path, p)
        if plan is not None:
            plans[plan.type_key] = plan
    return plans


def _plan(cfg: Config, path: Path, p: Problems) -> Plan | None:
    file, type_key = str(path), path.stem
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        p.add(file, "(syntax)", str(exc), "fix the TOML syntax at that line")
        return None
    if type_key not in cfg.incident_types:
        known = ", ".join(sorted(cfg.incident_types))
        p.add(file, "(file name)", type_key, f"name the file after an incident type in config.toml: {known}")
        return None
    for key in sorted(set(raw) - PLAN_KEYS):
        p.add(file, key, raw[key], f"unknown key; use one of: {', '.join(sorted(PLAN_KEYS))}")
    team = _team(cfg, file, raw.get("team"), p)
    roles = {t.role for t in team}
    steps = _steps(cfg, file, raw.get("steps", []), roles, p)
    statement = _statement(cfg, file, raw.get("statement"), p)
    broadcast = _broadcast(cfg, file, raw["broadcast"], p) if "broadcast" in raw else None
    activators = _activators(cfg, file, raw["activators"], roles, p) if "activators" in raw else None
    return Plan(type_key, team, steps, statement, path, broadcast, activators, _update_every(file, raw, p))


def _update_every(file: str, raw: dict[str, Any], p: Problems) -> timedelta:
    """`update_every = "60m"`: how long after a published statement the next one is due (5m to 24h)."""
    if "update_every" not in raw:
        return UPDATE_EVERY
    every = parse_duration(raw["update_every"])
    if every is None or not timedelta(minutes=5) <= every <= timedelta(hours=24):
        p.add(file, "update_every", raw["update_every"], "use a duration from \"5m\" to \"24h\", e.g. \"60m\" or "
              "\"1h30m\" (or remove it: 60m)")
        return UPDATE_EVERY
    return every


def _activators(cfg: Config, file: str, raw: Any, roles: set[str], p: Problems) -> Activators | None:
    """`activators = { roles = [...], people = [...] }`: roles of this plan's team, people of config.toml."""
    if not isinstance(raw, dict):
        p.add(file, "activators", raw, "write activators = { roles = [\"management\"], people = [\"director\"] }")
        return None
    for key in sorted(set(raw) - {"roles", "people"}):
        p.add(file, f"activators.{key}", raw[key], "unknown key; use roles or people")
    found: dict[str, tuple[str, ...]] = {}
    for key, known, what in (("roles", roles, "a role of this plan's team"), ("people", set(cfg.people),
                                                                              "a person in config.toml")):
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            p.add(file, f"activators.{key}", value, f"a list of keys, each {what}")
            value = []
        for v in value:
            if v not in known:
                p.add(file, f"activators.{key}", v, f"name {what}: {', '.join(sorted(known)) or '(none)'}")
        found[key] = tuple(v for v in value if v in known)
    if not found["roles"] and not found["people"]:
        p.add(file, "activators", raw, "name at least one role or person, or remove [activators] (anyone may)")
        return None
    return Activators(found["roles"], found["people"])


def _team(cfg: Config, file: str, raw: Any, p: Problems) -> tuple[TeamSlot, ...]:
    if not isinstance(raw, dict) or not raw:
        p.add(file, "team", raw,
              f"add the team by role: [team.management] person = \"...\" (roles: {', '.join(ROLES)})")
        return ()
    out = []
    for role, spec in raw.items():
        if role not in ROLES:
            p.add(file, f"team.{role}", role, f"unknown role; use one of: {', '.join(ROLES)}")
            continue
        if not isinstance(spec, dict):
            p.add(file, f"team.{role}", spec, "must be a table with person = \"...\" or rota = \"...\"")
            continue
        for key in sorted(set(spec) - {"person", "rota", "deputy"}):
            p.add(file, f"team.{role}.{key}", spec[key], "unknown key; use person, rota or deputy")
        named = [(k, v) for k in ("person", "rota") if k in spec for v in _listed(spec[k])]
        if not named:
            p.add(file, f"team.{role}", spec, "give person = \"...\" or rota = \"...\" (or a list of them)")
            continue
        leads = [_assignee(cfg, file, f"team.{role}.{kind}", kind, value, p) for kind, value in named]
        deputy = None
        if "deputy" in spec:
            value = spec["deputy"]
            kind = "rota" if isinstance(value, str) and value in _rotas(cfg) else "person"
            deputy = _assignee(cfg, file, f"team.{role}.deputy", kind, value, p)
        if all(lead is not None for lead in leads):
            out.append(TeamSlot(role, tuple(a for a in leads if a is not None), deputy))
    return tuple(out)


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) and value else [value]


def _rotas(cfg: Config) -> dict[str, Any]:
    rotas = cfg.raw.get("rotas", {})
    return rotas if isinstance(rotas, dict) else {}


def _assignee(cfg: Config, file: str, key: str, kind: str, value: Any, p: Problems) -> Assignee | None:
    known = cfg.people if kind == "person" else _rotas(cfg)
    if not isinstance(value, str) or value not in known:
        choices = ", ".join(sorted(cfg.people) + sorted(_rotas(cfg)) if key.endswith("deputy") else sorted(known))
        p.add(file, key, value, f"no {'person or rota' if key.endswith('deputy') else kind} `{value}` in "
              f"config.toml; use one of: {choices}")
        return None
    return Assignee(kind, value)


def _texts(cfg: Config, file: str, key: str, raw: Any, p: Problems, allowed: tuple[str, ...]) -> dict[str, str]:
    if not isinstance(raw, dict) or not all(isinstance(v, str) and v.strip() for v in raw.values()):
        p.add(file, key, raw, "give the text per language: { \"zh-TW\" = \"...\", \"en-US\" = \"...\" }")
        return {}
    for lang in cfg.languages:
        if lang not in raw:
            p.add(file, f"{key}.{lang}", None, f"add the {lang} text")
    for lang, template in raw.items():
        try:
            names = {name for _, name, _, _ in Formatter().parse(template) if name is not None}
        except ValueError as exc:
            p.add(file, f"{key}.{lang}", template, f"fix the braces ({exc}); write {{{{ for a literal brace")
            continue
        unknown = sorted(names - set(allowed))
        if unknown:
            usable = ", ".join(f"{{{n}}}" for n in allowed) or "none (write {{ for a literal brace)"
            p.add(file, f"{key}.{lang}", "{" + unknown[0] + "}", f"unknown placeholder; use {usable}")
    return dict(raw)


def _steps(cfg: Config, file: str, raw: Any, roles: set[str], p: Problems) -> tuple[Step, ...]:
    if not isinstance(raw, list):
        p.add(file, "steps", raw, "use [[steps]] tables with owner, deadline and text")
        return ()
    out = []
    for i, spec in enumerate(raw):
        key = f"steps[{i}]"
        if not isinstance(spec, dict):
            p.add(file, key, spec, "must be a table with owner, deadline and text")
            continue
        for extra in sorted(set(spec) - {"owner", "deadline", "text"}):
            p.add(file, f"{key}.{extra}", spec[extra], "unknown key; use owner, deadline or text")
        owner = spec.get("owner")
        if owner not in roles:
            p.add(file, f"{key}.owner", owner,
                  f"name a role of this plan's team: {', '.join(sorted(roles)) or '(none)'}")
        deadline = parse_duration(spec.get("deadline"))
        if deadline is None:
            p.add(file, f"{key}.deadline", spec.get("deadline"), "use a duration after activation: \"90s\", \"60m\", "
                  "\"2h\" or \"1h30m\"")
        text = _texts(cfg, file, f"{key}.text", spec.get("text"), p, ())
        if owner in roles and deadline is not None and text:
            out.append(Step(str(owner), deadline, text))
    return tuple(out)


def _statement(cfg: Config, file: str, raw: Any, p: Problems) -> dict[str, str]:
    return _texts(cfg, file, "statement", raw, p, PLACEHOLDERS)


def _broadcast(cfg: Config, file: str, raw: Any, p: Problems) -> PlanBroadcast | None:
    """The plan's `[broadcast]`: groups are checked when a notice is sent (they live in the
    database, edited in the console), everything else here."""
    if not isinstance(raw, dict):
        p.add(file, "broadcast", raw, "must be a table: [broadcast] groups = [\"all_staff\"]")
        return None
    for key in sorted(set(raw) - BROADCAST_KEYS):
        p.add(file, f"broadcast.{key}", raw[key], f"unknown key; use one of: {', '.join(sorted(BROADCAST_KEYS))}")
    groups = raw.get("groups")
    if not isinstance(groups, list) or not groups or not all(isinstance(g, str) and g for g in groups):
        p.add(file, "broadcast.groups", groups, "list directory group keys, e.g. [\"all_staff\"] "
              "(run.py directory groups)")
        groups = []
    channels = raw.get("channels", ["sms", "email"])
    if not isinstance(channels, list) or not channels or any(c not in CHANNELS for c in channels):
        p.add(file, "broadcast.channels", channels, f"list channels in the order they are tried: {', '.join(CHANNELS)}")
        channels = []
    flags = {}
    for key, default in (("ask_safety", False), ("with_statement", False), ("two_person_rule", None)):
        value = raw.get(key, default)
        if value is not None and not isinstance(value, bool):
            p.add(file, f"broadcast.{key}", value, "use true or false")
            value = default
        flags[key] = value
    stages = {stage: _texts(cfg, file, f"broadcast.{stage}", raw[stage], p, PLACEHOLDERS)
              for stage in STAGES if stage in raw}
    if not stages and not flags["with_statement"]:
        p.add(file, "broadcast", raw, "add a template per stage ([broadcast.first_notice], update, all_clear) "
              "or with_statement = true")
    if not groups or not channels:
        return None
    return PlanBroadcast(tuple(groups), tuple(channels), {k: v for k, v in stages.items() if v},
                         bool(flags["ask_safety"]), flags["two_person_rule"], bool(flags["with_statement"]))
