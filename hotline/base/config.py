"""Load and validate `config.toml`: the one file an organisation edits.

Every problem is collected, not just the first, and each names the file, the key, the bad
value and the fix, because the person reading it is fixing a hotline at 3 a.m.
Secrets never live in the file: Twilio credentials come from the environment.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hotline.base.config_errors import ConfigError as ConfigError  # re-exported: callers catch it from here
from hotline.base.config_errors import ConfigProblem as ConfigProblem
from hotline.base.config_keys import unknown_keys
from hotline.base.phone import to_e164
from hotline.base.pins import MAX_DIGITS as MAX_PIN_DIGITS
from hotline.base.pins import MIN_DIGITS as MIN_PIN_DIGITS
from hotline.base.pins import SHORT_PIN_FIX, hash_pin
from hotline.base.voices import Voices, choose, default_voices

ROOT = Path(__file__).resolve().parents[2]  # the checkout: config.toml, ivr_flows/, data/
DEFAULT_CONFIG = ROOT / "config.toml"
DEFAULT_TWILIO_API = "https://api.twilio.com"
T = TypeVar("T")


@dataclass(frozen=True)
class IncidentType:
    key: str
    names: dict[str, str]

    def name(self, lang: str) -> str:
        return self.names.get(lang) or next(iter(self.names.values()), self.key)


@dataclass(frozen=True)
class Person:
    key: str
    name: str
    phone: str
    languages: tuple[str, ...]
    email: str = ""  # optional: where their review action items' reminders are emailed too


@dataclass(frozen=True)
class TwilioSettings:
    account_sid: str | None
    auth_token: str | None
    api_base_url: str | None
    sim_url: str | None = None  # HOTLINE_SIM_URL: set only by run.py when it starts the sim itself
    sim_token: str | None = None  # HOTLINE_SIM_TOKEN: the token that sim's control API asks for

    @property
    def configured(self) -> bool:
        """No credentials means the embedded sim plays Twilio."""
        return bool(self.account_sid and self.auth_token)

    @property
    def sim_mode(self) -> bool:
        """The sim plays Twilio only when run.py started it; any `api_base_url` is otherwise a
        Twilio edge, so real credentials never make /sim or its control API appear."""
        return self.sim_url is not None

    @property
    def sim_headers(self) -> dict[str, str]:
        """What a request to the sim's control API carries (its token, when it has one)."""
        return {"X-Sim-Token": self.sim_token} if self.sim_token else {}

    @property
    def api_origin(self) -> str:
        """Where REST calls and recording downloads go: the sim, the configured edge, or Twilio."""
        return (self.sim_url or self.api_base_url or DEFAULT_TWILIO_API).rstrip("/")


@dataclass(frozen=True)
class Config:
    path: Path
    org_name: str
    default_region: str
    timezone: str
    numbers: tuple[str, ...]
    public_url: str
    languages: tuple[str, ...]
    flow: str
    lifeline_number: str | None
    record_max_seconds: int
    incident_types: dict[str, IncidentType]
    people: dict[str, Person]
    operators: dict[str, str]  # key -> E.164 caller ID of a radio/satellite relay operator
    sites: dict[str, str]  # numeric site code -> name
    twilio: TwilioSettings
    redis_url: str
    database_url: str
    data_dir: Path
    recordings_dir: Path
    flows_dir: Path
    pin_hashes: dict[str, str] = field(repr=False, default_factory=dict)  # from HOTLINE_*_PIN
    trusted_proxies: int = 0  # [web]: reverse-proxy hops whose X-Forwarded-* headers are believed
    trust_verified_caller_id: bool = False  # [security]: a STIR/SHAKEN "A" caller ID counts as a PIN
    voices: Voices = field(default_factory=default_voices)  # [hotline] voices: every <Say> carries one
    warnings: tuple[str, ...] = ()  # accepted values to change soon (a short PIN): file, key and fix
    raw: dict[str, Any] = field(repr=False, default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def default_language(self) -> str:
        return self.languages[0]

    def type_name(self, type_key: str | None, lang: str) -> str:
        t = self.incident_types.get(type_key or "")
        if t:
            return t.name(lang)
        return {"en-US": "unclassified"}.get(lang, "未分類") if type_key in (None, "unclassified") else str(type_key)

    def with_overrides(self, **changes: Any) -> Config:
        return replace(self, **changes)

    def section(self, kind: type[T]) -> T:
        """A feature's section, typed (`cfg.section(DrillSettings)`): as `load_config` parsed it, or
        parsed now for a Config built without it, whose problems then stop the caller as they
        would have stopped start-up."""
        from hotline.base.registry import registry

        spec = registry().section_for(kind)
        found = self.extras.get(spec.name)
        if isinstance(found, kind):
            return found
        value, problems = spec.load(self, str(self.path))
        if problems:
            raise ConfigError(problems)
        return value


class _Checker:
    """Reads typed values out of the raw TOML and records problems as it goes."""

    def __init__(self, file: str, raw: dict[str, Any]):
        self.file = file
        self.raw = raw
        self.problems: list[ConfigProblem] = []
        self.warnings: list[str] = []  # accepted, but each one names the fix; printed by check and start-up

    def problem(self, key: str, value: Any, fix: str) -> None:
        self.problems.append(ConfigProblem(self.file, key, value, fix))

    def get(self, dotted: str, kind: type | tuple[type, ...], default: Any = None, required: bool = False) -> Any:
        node: Any = self.raw
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                if required:
                    self.problem(dotted, None, f"add `{dotted}` ({_kind_name(kind)})")
                return default
            node = node[part]
        if not isinstance(node, kind) or (kind is int and isinstance(node, bool)):
            self.problem(dotted, node, f"must be {_kind_name(kind)}")
            return default
        return node

    def number(self, key: str, value: Any, region: str) -> str | None:
        e164 = to_e164(value, region) if isinstance(value, str) else None
        if e164 is None:
            self.problem(key, value, "must be a valid phone number in E.164 form, e.g. \"+886912345678\"")
        return e164


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {str: "a string", int: "a whole number", list: "a list", dict: "a table", bool: "true or false"}
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def load_config(path: str | os.PathLike[str] | None = None, env: dict[str, str] | None = None) -> Config:
    """Read, validate and return the configuration, or raise ConfigError naming every problem."""
    env = dict(os.environ if env is None else env)
    cfg_path = Path(path or env.get("HOTLINE_CONFIG") or DEFAULT_CONFIG).resolve()
    file = str(cfg_path)
    try:
        raw = tomllib.loads(cfg_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        missing = ConfigProblem(file, "(file)", None, "create it; copy config.toml from the repository")
        raise ConfigError([missing]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([ConfigProblem(file, "(syntax)", str(exc), "fix the TOML syntax at that line")]) from None
    c = _Checker(file, raw)
    base = cfg_path.parent

    org = c.get("organisation.name", str, required=True) or "Crisis Hotline"
    region = c.get("organisation.default_region", str, "TW")
    tz = c.get("organisation.timezone", str, "Asia/Taipei")
    _check_timezone(c, tz)

    numbers = []
    for i, n in enumerate(c.get("hotline.numbers", list, [], required=True)):
        e = c.number(f"hotline.numbers[{i}]", n, region)
        if e:
            numbers.append(e)
    if not numbers and not any(p.key.startswith("hotline.numbers") for p in c.problems):
        c.problem("hotline.numbers", [], "list at least one hotline number")
    public_url = env.get("HOTLINE_PUBLIC_URL") or c.get("hotline.public_url", str, "http://127.0.0.1:8000")
    if not public_url.startswith(("http://", "https://")):
        c.problem("hotline.public_url", public_url, "must start with https:// (or http:// for local use)")
    languages = tuple(c.get("hotline.languages", list, ["zh-TW", "en-US"]))
    if not languages or not all(isinstance(x, str) and x for x in languages):
        c.problem("hotline.languages", list(languages), "list language tags such as \"zh-TW\", \"en-US\"")
        languages = ("zh-TW", "en-US")
    flow = c.get("hotline.flow", str, "default")
    lifeline_raw = c.get("hotline.lifeline_number", str, "")
    lifeline = c.number("hotline.lifeline_number", lifeline_raw, region) if lifeline_raw else None
    voices, voice_problems = choose(c.get("hotline.voices", dict, {}), languages)
    for key, value, fix in voice_problems:
        c.problem(key, value, fix)
    max_len = c.get("hotline.record_max_seconds", int, 180)
    if not 10 <= max_len <= 3600:
        c.problem("hotline.record_max_seconds", max_len, "use a value between 10 and 3600 seconds")

    types = _incident_types(c, languages)
    people = _people(c, region)
    operators = _operators(c, region)
    sites = _sites(c)

    sim_url = (env.get("HOTLINE_SIM_URL") or "").rstrip("/") or None
    twilio = TwilioSettings(
        account_sid=env.get("TWILIO_ACCOUNT_SID") or None,
        auth_token=env.get("TWILIO_AUTH_TOKEN") or None,
        api_base_url=sim_url or env.get("TWILIO_API_BASE_URL") or c.get("twilio.api_base_url", str, "") or None,
        sim_url=sim_url,
        sim_token=env.get("HOTLINE_SIM_TOKEN") or None,
    )
    trusted_proxies = c.get("web.trusted_proxies", int, 0)
    if not 0 <= trusted_proxies <= 5:
        c.problem("web.trusted_proxies", trusted_proxies, "use 0 (exposed directly) or the number of proxy hops")
        trusted_proxies = 0
    trust_stir = c.get("security.trust_verified_caller_id", bool, False)
    for secret in ("account_sid", "auth_token"):
        if secret in (raw.get("twilio") or {}):
            c.problem(f"twilio.{secret}", "(hidden)",
                      f"remove it from the file; set the environment variable TWILIO_{secret.upper()} instead")

    data_dir = _path(base, env.get("HOTLINE_DATA_DIR") or c.get("storage.data_dir", str, "data"))
    # A relative storage path resolves against the data dir when HOTLINE_DATA_DIR is set (one
    # folder holds a whole instance), else against the folder of config.toml.
    storage_base = data_dir if env.get("HOTLINE_DATA_DIR") else base
    recordings_dir = _path(storage_base, env.get("HOTLINE_RECORDINGS_DIR")
                           or c.get("storage.recordings_dir", str, "recordings"))
    flows_dir = _path(base, c.get("storage.flows_dir", str, "ivr_flows"))
    redis_url = env.get("REDIS_URL") or c.get("redis.url", str, "")
    database_url = env.get("DATABASE_URL") or c.get("database.url", str, "")
    if database_url and not database_url.startswith(("sqlite", "postgresql")):
        c.problem("database.url", database_url, "use sqlite:///path or postgresql://user@host/db, or leave empty")
    if redis_url and not redis_url.startswith(("redis://", "rediss://", "unix://")):
        c.problem("redis.url", redis_url, "use redis://host:port/db, or leave empty for the embedded Redis")

    cfg = Config(
        path=cfg_path, org_name=org, default_region=region, timezone=tz, numbers=tuple(numbers),
        public_url=public_url.rstrip("/"), languages=languages, flow=flow, lifeline_number=lifeline,
        record_max_seconds=max_len, incident_types=types, people=people, operators=operators, sites=sites,
        twilio=twilio,
        redis_url=redis_url, database_url=database_url or f"sqlite:///{data_dir / 'hotline.db'}",
        data_dir=data_dir, recordings_dir=recordings_dir, flows_dir=flows_dir, raw=raw,
        pin_hashes=_env_pins(c, env), trusted_proxies=trusted_proxies, trust_verified_caller_id=trust_stir,
        voices=voices, warnings=tuple(c.warnings),
    )
    extras, more = _extension_sections(cfg, file)
    c.problems.extend(more)
    c.problems.extend(unknown_keys(file, raw, _feature_tables()))
    if c.problems:
        raise ConfigError(c.problems)
    return cfg.with_overrides(extras=extras)


def _path(base: Path, value: str) -> Path:
    p = Path(value)
    return p if p.is_absolute() else (base / p).resolve()


def _check_timezone(c: _Checker, tz: str) -> None:
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        c.problem("organisation.timezone", tz, "use an IANA time zone such as \"Asia/Taipei\"")


def _incident_types(c: _Checker, languages: tuple[str, ...]) -> dict[str, IncidentType]:
    out: dict[str, IncidentType] = {}
    table = c.get("incident_types", dict, {}, required=True)
    for key, spec in table.items():
        if not isinstance(spec, dict) or not isinstance(spec.get("names"), dict):
            c.problem(f"incident_types.{key}", spec, "give names per language: names = { \"en-US\" = \"...\" }")
            continue
        names = {k: v for k, v in spec["names"].items() if isinstance(v, str)}
        for lang in languages:
            if lang not in names:
                c.problem(f"incident_types.{key}.names.{lang}", None, f"add the {lang} name of this incident type")
        out[key] = IncidentType(key, names)
    if table and "other" not in out:
        c.problem("incident_types.other", None, "add an `other` type so every report has a place")
    return out


def _people(c: _Checker, region: str) -> dict[str, Person]:
    out: dict[str, Person] = {}
    for key, spec in c.get("people", dict, {}).items():
        if not isinstance(spec, dict):
            c.problem(f"people.{key}", spec, "must be a table with name and phone")
            continue
        name = spec.get("name")
        if not isinstance(name, str) or not name:
            c.problem(f"people.{key}.name", name, "give the person's name")
        phone = c.number(f"people.{key}.phone", spec.get("phone"), region)
        langs = spec.get("languages", [])
        if not isinstance(langs, list):
            c.problem(f"people.{key}.languages", langs, "must be a list such as [\"zh-TW\"]")
            langs = []
        email = spec.get("email", "")
        if not isinstance(email, str) or (email and ("@" not in email or any(ch.isspace() for ch in email))):
            c.problem(f"people.{key}.email", email, 'give an address such as "chen@example.org", or leave it out')
            email = ""
        if phone:
            out[key] = Person(key, name or key, phone, tuple(langs), email)
    return out


def _env_pins(c: _Checker, env: dict[str, str]) -> dict[str, str]:
    out = {}
    for role in ("admin", "operator"):
        pin = env.get(f"HOTLINE_{role.upper()}_PIN")
        if pin is None:
            continue
        if not (pin.isdigit() and 4 <= len(pin) <= MAX_PIN_DIGITS):
            c.problem(f"(environment) HOTLINE_{role.upper()}_PIN", "(hidden)", SHORT_PIN_FIX)
            continue
        if len(pin) < MIN_PIN_DIGITS:  # accepted, so an upgrade does not stop the hotline; warned
            c.warnings.append(f"(environment) HOTLINE_{role.upper()}_PIN: {len(pin)} digits is short enough to "
                              f"guess; {SHORT_PIN_FIX} and restart")
        out[role] = hash_pin(pin)
    return out


def _operators(c: _Checker, region: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, spec in c.get("operators", dict, {}).items():
        if not isinstance(spec, dict):
            c.problem(f"operators.{key}", spec, "must be a table with name and phone")
            continue
        phone = c.number(f"operators.{key}.phone", spec.get("phone"), region)
        if phone:
            out[key] = phone
    return out


def _sites(c: _Checker) -> dict[str, str]:
    out: dict[str, str] = {}
    for code, name in c.get("sites", dict, {}).items():
        if not (code.isdigit() and 1 <= len(code) <= 6) or not isinstance(name, str):
            c.problem(f"sites.{code}", name, "use a numeric code (1-6 digits) = \"site name\"")
            continue
        out[code] = name
    return out


def _feature_tables() -> frozenset[str]:
    from hotline.base.registry import registry

    return registry().tables


def _extension_sections(cfg: Config, file: str) -> tuple[dict[str, Any], list[ConfigProblem]]:
    """Sections owned by features (rotas, drills, crisis, ...) validate themselves; the registry
    lists them (`hotline.base.registry`)."""
    from hotline.base.registry import registry

    extras: dict[str, Any] = {}
    problems: list[ConfigProblem] = []
    for section in registry().sections.values():
        value, found = section.load(cfg, file)
        extras[section.name] = value
        problems.extend(found)
    return extras, problems
