"""The `[drills]` section of config.toml: targets, scenarios, surprise schedules.

    [drills]
    target_first_ring_seconds = 60     # report -> first phone ringing
    target_first_answer_seconds = 120  # report -> first person answering
    target_accept_seconds = 300        # report -> someone accepting (5 minutes)
    target_activate_seconds = 600      # whole plan: report -> plan activated
    target_team_confirmed_seconds = 600  # whole plan: plan activated -> every team seat confirmed
    target_first_statement_seconds = 1800  # whole plan: report -> first statement approved

    [drills.scenarios.cyber_night]
    kind = "simulation"               # tabletop | simulation | full_scale | surprise
    type = "cyber_security"           # an [incident_types] key
    severity = "danger"               # danger | normal | unknown
    report_text = "The mail server is encrypting files."   # spoken by TTS; or report_file = "x.wav"
    policy = "cyber_security"         # who takes part: a [policies] key ...
    participants = ["chen", "wang"]   # ... and/or people; nobody outside this list is ever rung
    runner = "alice"                  # who runs it
    callers = [ { after = 60, text = "A second report" } ]   # more reports during the drill
    inbound_from = "+886912345678"    # full-scale: the report is a real call to the hotline from this number
    phones = { chen = "press 1 after 10", wang = "never" }   # simulation: what each phone does
    schedule = { every = "month", window = "working_hours" } # surprise: when it may start
    whole_plan = true                 # go on through the crisis plan in drill mode (hotline.crisis.drillmode)

A scenario that names an unknown type, person or policy is refused with the key and the fix, as
every config error is; so is a surprise schedule with no possible moment. `check_scenario` is the
same check for a drill created on the command line or in the console.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hotline.base.config_errors import ConfigProblem
from hotline.base.phone import to_e164
from hotline.drills.models import DrillKind
from hotline.drills.schedule import Schedule, parse_schedule

if TYPE_CHECKING:
    from hotline.base.config import Config

PLAN_TARGETS = (("target_activate_seconds", 600), ("target_team_confirmed_seconds", 600),
                ("target_first_statement_seconds", 1800))
SECTION_KEYS = {"target_first_ring_seconds", "target_first_answer_seconds", "target_accept_seconds",
                "max_minutes", "scenarios", *(k for k, _ in PLAN_TARGETS)}
SCENARIO_KEYS = {"kind", "type", "severity", "report_text", "report_file", "policy", "participants", "runner",
                 "callers", "phones", "schedule", "name", "max_minutes", "inbound_from", "whole_plan"}
SEVERITIES = ("danger", "normal", "unknown")
PHONE_RE = re.compile(r"^(never|busy|voicemail|manual|answer after (\d+)|press ([0-9*#]) ?(?:after (\d+))?)$")
PHONE_FIX = 'use "never", "busy", "voicemail", "manual", "answer after N" or "press 1 after N" (N seconds)'


@dataclass(frozen=True)
class Targets:
    first_ring_seconds: int = 60
    first_answer_seconds: int = 120
    accept_seconds: int = 300
    activate_seconds: int = 600  # whole plan: report -> plan activated
    team_confirmed_seconds: int = 600  # whole plan: activated -> every seat of the team confirmed
    first_statement_seconds: int = 1800  # whole plan: report -> first statement approved


@dataclass(frozen=True)
class Scenario:
    key: str
    kind: str
    type_key: str
    severity: str = "unknown"
    name: str = ""
    report_text: str = ""
    report_file: str | None = None
    policy_key: str | None = None
    participants: tuple[str, ...] = ()  # as written; the lifecycle adds the policy's people at creation
    runner: str = ""
    callers: tuple[dict[str, Any], ...] = ()
    phones: dict[str, dict[str, Any]] = field(default_factory=dict)  # sim behaviour JSON per person
    schedule: Schedule | None = None
    max_minutes: int = 60
    inbound_from: str | None = None  # E.164: the drill's report is the next call from this number
    whole_plan: bool = False  # the crisis plan too, in drill mode


@dataclass(frozen=True)
class DrillSettings:
    targets: Targets = Targets()
    scenarios: dict[str, Scenario] = field(default_factory=dict)
    max_minutes: int = 60


def phone_behaviour(spec: str) -> dict[str, Any] | None:
    """A scripted phone in words -> the sim's behaviour JSON; None when it does not parse."""
    m = PHONE_RE.match(spec.strip().lower()) if isinstance(spec, str) else None
    if m is None:
        return None
    word = m.group(1)
    if m.group(2) is not None:
        return {"mode": "answer_after", "seconds": int(m.group(2))}
    if m.group(3) is not None:
        return {"mode": "script", "steps": [m.group(3)], "answer_after": int(m.group(4) or 0)}
    return {"mode": "voicemail"} if word == "voicemail" else {"mode": word}


def check_scenario(cfg: Config, key: str, spec: Any, file: str, at: str | None = None
                   ) -> tuple[Scenario | None, list[ConfigProblem]]:
    """Validate one scenario table; `at` is the key prefix problems are reported under."""
    at = at or f"drills.scenarios.{key}"
    problems: list[ConfigProblem] = []

    def problem(k: str, value: Any, fix: str) -> None:
        problems.append(ConfigProblem(file, f"{at}.{k}" if k else at, value, fix))

    if not isinstance(spec, dict):
        problem("", spec, "must be a table: [drills.scenarios.NAME]")
        return None, problems
    for k in sorted(set(spec) - SCENARIO_KEYS):
        problem(k, spec[k], f"unknown setting; use one of: {', '.join(sorted(SCENARIO_KEYS))}")
    kind = spec.get("kind")
    if kind not in tuple(DrillKind):
        problem("kind", kind, f"use one of: {', '.join(DrillKind)}")
    type_key = spec.get("type")
    if type_key not in cfg.incident_types:
        problem("type", type_key, f"no incident type `{type_key}`; use one of: {', '.join(sorted(cfg.incident_types))}")
    severity = spec.get("severity", "unknown")
    if severity not in SEVERITIES:
        problem("severity", severity, f"use one of: {', '.join(SEVERITIES)}")
    report_text, report_file = spec.get("report_text", ""), spec.get("report_file")
    if not isinstance(report_text, str) or (report_file is not None and not isinstance(report_file, str)):
        problem("report_text", report_text, "give the report as text (report_text) or a file (report_file)")
    elif report_file is not None:
        found = (cfg.path.parent / report_file).resolve()
        if not found.is_file() or found.suffix.lower() != ".wav":
            problem("report_file", report_file, f"no WAV file at {found}; give a .wav path (relative to this file)")
        report_file = str(found)
    found_policies = cfg.raw.get("policies")
    policies: dict[str, Any] = found_policies if isinstance(found_policies, dict) else {}
    policy = spec.get("policy")
    if policy is not None and policy not in policies:
        problem("policy", policy, f"no policy `{policy}` in [policies]; use one of: {', '.join(sorted(policies))}")
    participants = spec.get("participants", [])
    if not isinstance(participants, list):
        problem("participants", participants, 'list people, e.g. participants = ["chen", "wang"]')
        participants = []
    for i, person in enumerate(participants):
        if person not in cfg.people:
            problem(f"participants[{i}]", person,
                    f"no person `{person}` in [people]; use one of: {', '.join(sorted(cfg.people))}")
    if policy is None and not participants:
        problem("participants", participants, "name who takes part: a policy, people, or both")
    phones: dict[str, dict[str, Any]] = {}
    raw_phones = spec.get("phones", {})
    for person, words in (raw_phones.items() if isinstance(raw_phones, dict) else ()):
        behaviour = phone_behaviour(words)
        if person not in cfg.people:
            problem(f"phones.{person}", words, f"no person `{person}` in [people]")
        elif behaviour is None:
            problem(f"phones.{person}", words, PHONE_FIX)
        else:
            phones[person] = behaviour
    callers = spec.get("callers", [])
    if not isinstance(callers, list) or not all(isinstance(c, dict) and isinstance(c.get("after", 0), int)
                                                for c in callers):
        problem("callers", callers, 'list more reports as [ { after = 60, text = "..." } ] (after: seconds)')
        callers = []
    max_minutes = spec.get("max_minutes", 60)
    if isinstance(max_minutes, bool) or not isinstance(max_minutes, int) or not 1 <= max_minutes <= 1440:
        problem("max_minutes", max_minutes, "use a whole number of minutes from 1 to 1440")
        max_minutes = 60
    inbound = spec.get("inbound_from")
    if inbound is not None:
        inbound = to_e164(inbound, cfg.default_region) if isinstance(inbound, str) else None
        if inbound is None or kind not in (DrillKind.FULL_SCALE, DrillKind.SURPRISE):
            problem("inbound_from", spec.get("inbound_from"),
                    "give the test caller's number (e.g. \"+886912345678\"), for a full_scale or surprise drill")
    whole_plan = spec.get("whole_plan", False)
    if not isinstance(whole_plan, bool):
        problem("whole_plan", whole_plan, "use true (go on through the crisis plan, in drill mode) or false")
    schedule = None
    if "schedule" in spec or kind == DrillKind.SURPRISE:
        schedule = parse_schedule(cfg.timezone, spec.get("schedule"), problem)
    if problems:
        return None, problems
    return Scenario(key, str(kind), str(type_key), str(severity), str(spec.get("name", key)), report_text,
                    report_file, policy, tuple(participants), str(spec.get("runner", "")), tuple(callers), phones,
                    schedule, max_minutes, inbound, whole_plan is True), []


def load_section(cfg: Config, file: str) -> tuple[DrillSettings, list[ConfigProblem]]:
    raw = cfg.raw.get("drills")
    if raw is None:
        return DrillSettings(), []
    problems: list[ConfigProblem] = []
    if not isinstance(raw, dict):
        return DrillSettings(), [ConfigProblem(file, "drills", raw, "must be a table: [drills]")]
    for k in sorted(set(raw) - SECTION_KEYS):
        problems.append(ConfigProblem(file, f"drills.{k}", raw[k],
                                      f"unknown setting; use one of: {', '.join(sorted(SECTION_KEYS))}"))
    numbers = {}
    for name, default in (("target_first_ring_seconds", 60), ("target_first_answer_seconds", 120),
                          ("target_accept_seconds", 300), ("max_minutes", 60), *PLAN_TARGETS):
        value = raw.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 86400:
            problems.append(ConfigProblem(file, f"drills.{name}", value, "use a whole number from 1 to 86400"))
            value = default
        numbers[name] = value
    scenarios: dict[str, Scenario] = {}
    table = raw.get("scenarios", {})
    for key, spec in (table.items() if isinstance(table, dict) else ()):
        spec = {"max_minutes": numbers["max_minutes"], **spec} if isinstance(spec, dict) else spec
        scenario, found = check_scenario(cfg, key, spec, file)
        problems.extend(found)
        if scenario is not None:
            scenarios[key] = scenario
    targets = Targets(numbers["target_first_ring_seconds"], numbers["target_first_answer_seconds"],
                      numbers["target_accept_seconds"], numbers["target_activate_seconds"],
                      numbers["target_team_confirmed_seconds"], numbers["target_first_statement_seconds"])
    return DrillSettings(targets, scenarios, numbers["max_minutes"]), problems
