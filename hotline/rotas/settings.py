"""Read and validate `[oncall]`, `[rotas.*]` and `[policies.*]` from config.toml.

`hotline.base.config` calls `load_section(cfg, file)` and stores the value in `cfg.section(OncallSettings)`.
Every problem is collected (not just the first) and names the file, key, bad value and the fix.

When the file has none of these sections, everyone in `[people]` is called in file order: an
organisation that has not written rotas yet still gets phoned, rather than nobody.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hotline.base.config_errors import ConfigProblem
from hotline.rotas.policy import WEEKDAYS, OncallSettings, Override, Policy, Rota, Step

if TYPE_CHECKING:
    from hotline.base.config import Config

ONCALL_KEYS = {"rounds", "repeat_minutes", "storm_window_minutes", "default_ring_timeout",
               "answer_timeout", "fallback"}
ROTA_KEYS = {"members", "handoff", "timezone", "start", "shift_weeks", "overrides"}
STEP_KEYS = {"person", "rota", "ring_timeout"}
LIMITS = {  # key: (default, low, high, unit)
    "rounds": (2, 1, 10, "rounds"),
    "repeat_minutes": (5, 1, 1440, "minutes"),
    "storm_window_minutes": (15, 0, 1440, "minutes"),
    "default_ring_timeout": (25, 5, 120, "seconds"),
    "answer_timeout": (90, 15, 600, "seconds"),
}


class _Reader:
    def __init__(self, cfg: Config, file: str):
        self.cfg = cfg
        self.file = file
        self.problems: list[ConfigProblem] = []
        # Entries that exist in the file but were invalid (already reported at their root):
        # references to them are skipped, not reported again as "no such person/rota".
        people = cfg.raw.get("people")
        self.broken_people = set(people if isinstance(people, dict) else ()) - set(cfg.people)
        self.broken_rotas: set[str] = set()
        self.skipped_references = False

    def is_broken(self, kind: str, ref: Any) -> bool:
        broken = ref in (self.broken_people if kind == "person" else self.broken_rotas)
        self.skipped_references |= broken
        return broken

    def problem(self, key: str, value: Any, fix: str) -> None:
        self.problems.append(ConfigProblem(self.file, key, value, fix))

    def unknown_keys(self, prefix: str, table: dict[str, Any], allowed: set[str]) -> None:
        for k in sorted(set(table) - allowed):
            self.problem(f"{prefix}.{k}", table[k],
                         f"unknown setting; use one of: {', '.join(sorted(allowed))}")

    def table(self, key: str, value: Any) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.problem(key, value, f"must be a table: [{key}]")
            return {}
        return value

    def bounded_int(self, prefix: str, table: dict[str, Any], name: str) -> int:
        default, low, high, unit = LIMITS[name]
        value = table.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.problem(f"{prefix}.{name}", value, f"use a whole number of {unit} from {low} to {high}")
            return default
        return value


def load_section(cfg: Config, file: str) -> tuple[OncallSettings, list[ConfigProblem]]:
    """Parse the on-call sections of `cfg.raw`; return the settings and every problem found."""
    r = _Reader(cfg, file)
    raw = cfg.raw
    if not any(k in raw for k in ("oncall", "rotas", "policies")):
        return _implicit_settings(cfg), []
    oncall = r.table("oncall", raw.get("oncall"))
    r.unknown_keys("oncall", oncall, ONCALL_KEYS)
    numbers = {name: r.bounded_int("oncall", oncall, name) for name in LIMITS}
    rotas: dict[str, Rota] = {}
    for key, spec in r.table("rotas", raw.get("rotas")).items():
        rota = _rota(r, key, spec)
        if rota is None:
            r.broken_rotas.add(key)
        else:
            rotas[key] = rota
    _check_ambiguous(r, rotas)
    ring = numbers["default_ring_timeout"]
    fallback = _steps(r, "oncall.fallback", oncall.get("fallback", []), rotas, ring, allow_empty=True)
    policies: dict[str, Policy] = {}
    for key, spec in r.table("policies", raw.get("policies")).items():
        if key != "default" and key not in cfg.incident_types:
            known = ", ".join(sorted(cfg.incident_types)) or "(none)"
            r.problem(f"policies.{key}", key, f"no incident type `{key}`; use `default` or one of: {known}")
            continue
        spec = r.table(f"policies.{key}", spec)
        r.unknown_keys(f"policies.{key}", spec, {"steps"})
        steps = _steps(r, f"policies.{key}.steps", spec.get("steps"), rotas, ring, allow_empty=False)
        if steps:
            policies[key] = Policy(key, steps)
    uncovered = sorted(t for t in cfg.incident_types if t not in policies)
    if (uncovered and "default" not in policies and not r.skipped_references
            and not any(p.key.startswith("policies") for p in r.problems)):
        r.problem("policies.default", None,
                  f"add [policies.default] (used by {', '.join(uncovered)}) or a policy for each of them")
    settings = OncallSettings(
        rounds=numbers["rounds"], repeat_minutes=numbers["repeat_minutes"],
        storm_window_minutes=numbers["storm_window_minutes"], default_ring_timeout=ring,
        answer_timeout=numbers["answer_timeout"], fallback=fallback, rotas=rotas, policies=policies,
    )
    return settings, r.problems


def _implicit_settings(cfg: Config) -> OncallSettings:
    steps = tuple(Step("person", key, 25) for key in cfg.people)
    policies = {"default": Policy("default", steps)} if steps else {}
    return OncallSettings(policies=policies, implicit=True)


def _check_ambiguous(r: _Reader, rotas: dict[str, Rota]) -> None:
    for key in sorted(set(rotas) & set(r.cfg.people)):
        r.problem(f"rotas.{key}", key,
                  f"`{key}` is both a person and a rota; rename the rota, e.g. `{key}_rota`")


def _steps(r: _Reader, key: str, value: Any, rotas: dict[str, Rota], ring: int,
           allow_empty: bool) -> tuple[Step, ...]:
    """Steps are tables `{ rota = "it", ring_timeout = 25 }` / `{ person = "director" }` or bare names."""
    if value is None or not isinstance(value, list):
        r.problem(key, value, 'list the steps, e.g. [ { rota = "it" }, { person = "director" } ]')
        return ()
    if not value and not allow_empty:
        r.problem(key, value, 'an empty policy calls nobody; add a step, e.g. { person = "director" }')
        return ()
    out: list[Step] = []
    for i, item in enumerate(value):
        at = f"{key}[{i}]"
        if isinstance(item, str):
            kind = "rota" if item in rotas else "person"
            item = {kind: item}
        if not isinstance(item, dict):
            r.problem(at, item, 'write a step as { person = "..." } or { rota = "..." }')
            continue
        r.unknown_keys(at, item, STEP_KEYS)
        targets = [k for k in ("person", "rota") if k in item]
        if len(targets) != 1:
            r.problem(at, item, "give exactly one of `person` or `rota`")
            continue
        kind = targets[0]
        ref = item[kind]
        known = r.cfg.people if kind == "person" else rotas
        if r.is_broken(kind, ref):
            continue
        if ref not in known:
            what = "[people]" if kind == "person" else "[rotas]"
            names = ", ".join(sorted(known)) or "(none)"
            r.problem(f"{at}.{kind}", ref, f"no {kind} `{ref}` in {what}; use one of: {names}")
            continue
        timeout = item.get("ring_timeout", ring)
        if isinstance(timeout, bool) or not isinstance(timeout, int) or not 5 <= timeout <= 120:
            r.problem(f"{at}.ring_timeout", timeout, "use a whole number of seconds from 5 to 120")
            timeout = ring
        out.append(Step(kind, ref, timeout))
    return tuple(out)


def _rota(r: _Reader, key: str, spec: Any) -> Rota | None:
    at = f"rotas.{key}"
    spec = r.table(at, spec)
    r.unknown_keys(at, spec, ROTA_KEYS)
    members = spec.get("members")
    if not isinstance(members, list) or not members:
        r.problem(f"{at}.members", members, 'list who takes turns, e.g. members = ["chen", "wang"]')
        return None
    ok = True
    for i, m in enumerate(members):
        if r.is_broken("person", m):
            ok = False
        elif m not in r.cfg.people:
            names = ", ".join(sorted(r.cfg.people)) or "(none)"
            r.problem(f"{at}.members[{i}]", m, f"no person `{m}` in [people]; use one of: {names}")
            ok = False
    tz_name = spec.get("timezone", r.cfg.timezone)
    tz = _zone(tz_name)
    if tz is None:
        r.problem(f"{at}.timezone", tz_name, 'use an IANA time zone such as "Asia/Taipei"')
        ok = False
    handoff = r.table(f"{at}.handoff", spec.get("handoff", {}))
    r.unknown_keys(f"{at}.handoff", handoff, {"weekday", "time"})
    weekday_name = handoff.get("weekday", "monday")
    weekday = _weekday(weekday_name)
    if weekday is None:
        r.problem(f"{at}.handoff.weekday", weekday_name, f"use a day name: {', '.join(WEEKDAYS)}")
        ok = False
    hand_time = _clock(handoff.get("time", "09:00"))
    if hand_time is None:
        r.problem(f"{at}.handoff.time", handoff.get("time"), 'use 24-hour "HH:MM", e.g. "09:00"')
        ok = False
    shift_weeks = spec.get("shift_weeks", 1)
    if isinstance(shift_weeks, bool) or not isinstance(shift_weeks, int) or not 1 <= shift_weeks <= 52:
        r.problem(f"{at}.shift_weeks", shift_weeks, "use a whole number of weeks from 1 to 52")
        ok = False
    start = _start(r, at, spec.get("start"), weekday, len(members))
    overrides = tuple(_overrides(r, key, spec.get("overrides", []), tz or ZoneInfo("UTC")))
    if not ok or start is None or weekday is None or hand_time is None:
        return None
    return Rota(key, tuple(members), weekday, hand_time, tz_name, start, shift_weeks, overrides)


def _start(r: _Reader, at: str, value: Any, weekday: int | None, n_members: int) -> date | None:
    if value is None and n_members == 1:
        return date(2026, 1, 5)  # one member: the anchor changes nothing
    parsed = value if isinstance(value, date) and not isinstance(value, datetime) else _iso_date(value)
    if parsed is None:
        r.problem(f"{at}.start", value,
                  'give the date members[0] takes over, as "YYYY-MM-DD" on the hand-off day')
        return None
    if weekday is not None and parsed.weekday() != weekday:
        before = parsed.toordinal() - (parsed.weekday() - weekday) % 7
        after = before + 7
        r.problem(f"{at}.start", value,
                  f"must fall on the hand-off day ({WEEKDAYS[weekday]}); use "
                  f"{date.fromordinal(before).isoformat()} or {date.fromordinal(after).isoformat()}")
        return None
    return parsed


def _overrides(r: _Reader, rota: str, value: Any, tz: ZoneInfo) -> list[Override]:
    at = f"rotas.{rota}.overrides"
    if not isinstance(value, list):
        r.problem(at, value, 'use [[rotas.NAME.overrides]] tables with person, start and end')
        return []
    out = []
    for i, item in enumerate(value):
        here = f"{at}[{i}]"
        if not isinstance(item, dict):
            r.problem(here, item, "must be a table with person, start and end")
            continue
        r.unknown_keys(here, item, {"person", "start", "end"})
        person = item.get("person")
        if person not in r.cfg.people and not r.is_broken("person", person):
            names = ", ".join(sorted(r.cfg.people)) or "(none)"
            r.problem(f"{here}.person", person, f"no person `{person}` in [people]; use one of: {names}")
        start, end = (_moment(item.get(k), tz) for k in ("start", "end"))
        for k, v in (("start", start), ("end", end)):
            if v is None:
                r.problem(f"{here}.{k}", item.get(k), 'use a local date-time such as "2026-12-24T18:00"')
        if start and end and end <= start:
            r.problem(f"{here}.end", item.get("end"), f"must be after start ({item.get('start')})")
        elif start and end and person in r.cfg.people:
            out.append(Override(rota, person, start, end))
    return out


def _zone(name: Any) -> ZoneInfo | None:
    try:
        return ZoneInfo(name) if isinstance(name, str) and name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _weekday(name: Any) -> int | None:
    if not isinstance(name, str):
        return None
    name = name.strip().lower()
    for i, day in enumerate(WEEKDAYS):
        if name in (day, day[:3]):
            return i
    return None


def _clock(value: Any) -> time | None:
    if isinstance(value, time):
        return value
    if not isinstance(value, str) or len(value.strip()) != 5:
        return None
    try:
        return time.fromisoformat(value.strip())
    except ValueError:
        return None


def _iso_date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _moment(value: Any, tz: ZoneInfo) -> datetime | None:
    """TOML date-times or ISO strings; without an offset they are the rota's local time."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(UTC)
