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
from hotline.rotas.policy import (
    WEEKDAYS,
    HoursSettings,
    Layer,
    OncallSettings,
    Override,
    Policy,
    Rota,
    Step,
    Window,
)

if TYPE_CHECKING:
    from hotline.base.config import Config

ONCALL_KEYS = {"rounds", "repeat_minutes", "storm_window_minutes", "default_ring_timeout",
               "answer_timeout", "fallback", "hours"}
HOURS_KEYS = {"night", "holidays", "timezone"}
WEEKLY_KEYS = {"members", "handoff", "start", "shift_weeks"}
ROTA_KEYS = WEEKLY_KEYS | {"timezone", "overrides", "layers"}
LAYER_KEYS = {"name", "members", "start", "handoff", "length", "restrictions"}
WINDOW_KEYS = {"days", "hours"}
LENGTH_UNITS = {"h": 1, "d": 24, "w": 168}
MAX_LENGTH_HOURS = 52 * 168
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
        hours=_hours(r, oncall.get("hours")),
    )
    return settings, r.problems


def _implicit_settings(cfg: Config) -> OncallSettings:
    steps = tuple(Step("person", key, 25) for key in cfg.people)
    policies = {"default": Policy("default", steps)} if steps else {}
    return OncallSettings(policies=policies, implicit=True, hours=HoursSettings(timezone=cfg.timezone))


def _hours(r: _Reader, value: Any) -> HoursSettings:
    """`[oncall.hours]`: the night window and the public holidays the on-call hours report uses."""
    spec = r.table("oncall.hours", value)
    r.unknown_keys("oncall.hours", spec, HOURS_KEYS)
    tz_name = spec.get("timezone", r.cfg.timezone)
    if _zone(tz_name) is None:
        r.problem("oncall.hours.timezone", tz_name, 'use an IANA time zone such as "Asia/Taipei"')
        tz_name = r.cfg.timezone
    night = _span(spec.get("night", "22:00-07:00"))
    if night is None or night[0] == night[1]:
        r.problem("oncall.hours.night", spec.get("night"), 'give the night as "HH:MM-HH:MM", e.g. "22:00-07:00"')
        night = (time(22, 0), time(7, 0))
    holidays: set[date] = set()
    raw = spec.get("holidays", [])
    if not isinstance(raw, list):
        r.problem("oncall.hours.holidays", raw, 'list the dates, e.g. holidays = ["2026-01-01", "2026-02-17"]')
        raw = []
    for i, item in enumerate(raw):
        day = item if isinstance(item, date) and not isinstance(item, datetime) else _iso_date(item)
        if day is None:
            r.problem(f"oncall.hours.holidays[{i}]", item, 'give a date as "YYYY-MM-DD"')
        else:
            holidays.add(day)
    return HoursSettings(tz_name, night[0], night[1], frozenset(holidays))


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
    tz_name = spec.get("timezone", r.cfg.timezone)
    tz = _zone(tz_name)
    if tz is None:
        r.problem(f"{at}.timezone", tz_name, 'use an IANA time zone such as "Asia/Taipei"')
    if "layers" in spec:
        for k in sorted(WEEKLY_KEYS & set(spec)):
            r.problem(f"{at}.{k}", spec[k],
                      f"a rota with layers sets `{k}` in each layer; move it into its [[{at}.layers]] tables")
        layers = _layers(r, at, spec["layers"])
        overrides = tuple(_overrides(r, key, spec.get("overrides", []), tz or ZoneInfo("UTC")))
        if tz is None or layers is None:
            return None
        first = layers[0]
        everyone = tuple(dict.fromkeys(m for layer in layers for m in layer.members))
        return Rota(key, everyone, first.start.weekday(), first.handoff, tz_name, first.start, 1, overrides, layers)
    members = _members(r, f"{at}.members", spec.get("members"))
    ok = members is not None and tz is not None
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
    listed = spec.get("members")  # as written: a broken member is its own problem, not a missing start
    start = _start(r, at, spec.get("start"), weekday, len(listed) if isinstance(listed, list) else 0)
    overrides = tuple(_overrides(r, key, spec.get("overrides", []), tz or ZoneInfo("UTC")))
    if not ok or members is None or start is None or weekday is None or hand_time is None:
        return None
    return Rota(key, members, weekday, hand_time, tz_name, start, shift_weeks, overrides)


def _members(r: _Reader, at: str, members: Any) -> tuple[str, ...] | None:
    if not isinstance(members, list) or not members:
        r.problem(at, members, 'list who takes turns, e.g. members = ["chen", "wang"]')
        return None
    ok = True
    for i, m in enumerate(members):
        if r.is_broken("person", m):
            ok = False
        elif m not in r.cfg.people:
            names = ", ".join(sorted(r.cfg.people)) or "(none)"
            r.problem(f"{at}[{i}]", m, f"no person `{m}` in [people]; use one of: {names}")
            ok = False
    return tuple(members) if ok else None


def _layers(r: _Reader, at: str, value: Any) -> tuple[Layer, ...] | None:
    """`[[rotas.NAME.layers]]`, bottom first: a later layer wins wherever it is active."""
    if not isinstance(value, list) or not value:
        r.problem(f"{at}.layers", value,
                  f'add [[{at}.layers]] tables with members, start, handoff and length, e.g. length = "1w"')
        return None
    out: list[Layer] = []
    ok = True
    for i, item in enumerate(value):
        here = f"{at}.layers[{i}]"
        if not isinstance(item, dict):
            r.problem(here, item, f"write each layer as a [[{at}.layers]] table")
            ok = False
            continue
        r.unknown_keys(here, item, LAYER_KEYS)
        name = item.get("name", f"layer {i + 1}")
        if not isinstance(name, str) or not name.strip():
            r.problem(f"{here}.name", name, 'give the layer a short name, e.g. name = "nights"')
            name = f"layer {i + 1}"
        members = _members(r, f"{here}.members", item.get("members"))
        raw_start = item.get("start")
        start = raw_start if isinstance(raw_start, date) and not isinstance(raw_start, datetime) \
            else _iso_date(raw_start)
        if start is None:
            r.problem(f"{here}.start", raw_start, 'give the date members[0] takes the first turn, as "YYYY-MM-DD"')
        handoff = _clock(item.get("handoff", "09:00"))
        if handoff is None:
            r.problem(f"{here}.handoff", item.get("handoff"), 'use 24-hour "HH:MM", e.g. "09:00"')
        length = _length(item.get("length"))
        if length is None:
            r.problem(f"{here}.length", item.get("length"),
                      'give the turn as hours, days or weeks: "12h", "1d", "2w" (at most 52 weeks)')
        windows = _windows(r, f"{here}.restrictions", item.get("restrictions", []))
        if members is None or start is None or handoff is None or length is None or windows is None:
            ok = False
            continue
        out.append(Layer(name.strip(), members, start, handoff, length, windows))
    return tuple(out) if ok else None


def _length(value: Any) -> int | None:
    if not isinstance(value, str) or len(value.strip()) < 2:
        return None
    number, unit = value.strip()[:-1].strip(), value.strip()[-1].lower()
    if unit not in LENGTH_UNITS or not number.isdigit():
        return None
    hours = int(number) * LENGTH_UNITS[unit]
    return hours if 1 <= hours <= MAX_LENGTH_HOURS else None


def _windows(r: _Reader, at: str, value: Any) -> tuple[Window, ...] | None:
    """`restrictions = [ { days = ["saturday", "sunday"], hours = "08:00-20:00" } ]`: the layer
    is active only inside these windows; a window opens on one of `days` (all, if not given) and
    runs `hours` (all day, if not given; "22:00-07:00" ends the next morning)."""
    if not isinstance(value, list):
        r.problem(at, value, 'list the windows, e.g. restrictions = [ { days = ["saturday"], hours = "08:00-20:00" } ]')
        return None
    out: list[Window] = []
    ok = True
    for i, item in enumerate(value):
        here = f"{at}[{i}]"
        if not isinstance(item, dict) or not item:
            r.problem(here, item, 'write a window as { days = ["monday", "friday"], hours = "09:00-18:00" }')
            ok = False
            continue
        r.unknown_keys(here, item, WINDOW_KEYS)
        days_raw = item.get("days", list(WEEKDAYS))
        days = [_weekday(d) for d in days_raw] if isinstance(days_raw, list) and days_raw else [None]
        if None in days:
            r.problem(f"{here}.days", days_raw, f"list day names: {', '.join(WEEKDAYS)}")
            ok = False
        span = _span(item.get("hours", "00:00-00:00"))
        if span is None:
            r.problem(f"{here}.hours", item.get("hours"),
                      'give local hours as "HH:MM-HH:MM", e.g. "09:00-18:00" or "22:00-07:00" (overnight)')
            ok = False
        if ok and span is not None:
            out.append(Window(frozenset(d for d in days if d is not None), span[0], span[1]))
    return tuple(out) if ok else None


def _span(value: Any) -> tuple[time, time] | None:
    if not isinstance(value, str) or value.count("-") != 1:
        return None
    a, b = (_clock(v.strip()) for v in value.split("-"))
    return (a, b) if a is not None and b is not None else None


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
