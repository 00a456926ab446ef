"""The `[console]` section of config.toml: who may log in to the web console, and how long.

    [console]
    session_hours = 12                      # idle time before a login expires (1-720)

    [console.users.alice]
    role = "admin"                          # admin: acts on incidents and prompts; viewer: reads
    password_hash = "pbkdf2:sha256:..."     # `run.py users add NAME --role ROLE` prints these lines
    person = "chen"                         # optional: this login is that [people] key

Passwords never appear in the file, only werkzeug hashes, because config.toml is committed.
A login linked to a person (`person`) is that person in the console: its Accept takes the
incident as theirs (as their phone's 1 would), "my incidents" are the ones they accepted, and the
rota page shows their on-call shifts. Unlinked logins act only on someone's behalf.
With no admin configured, `first_run_token` (see hotline/web/keys.py) lets one in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hotline.base.config_errors import ConfigProblem, SectionReader

if TYPE_CHECKING:
    from hotline.base.config import Config

ROLES = ("admin", "viewer")
HASH_RE = re.compile(r"^(pbkdf2:sha256(:\d+)?|scrypt(:\d+:\d+:\d+)?)\$[^$]+\$[0-9a-f]+$")
USER_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
SECTION_KEYS = {"session_hours", "users"}
USER_KEYS = {"role", "password_hash", "person"}
HASH_FIX = "give a werkzeug hash: run `python3 run.py users add NAME --role ROLE` and paste its output"


@dataclass(frozen=True)
class User:
    name: str
    role: str
    password_hash: str
    person: str | None = None  # the [people] key this login is

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True)
class ConsoleSettings:
    session_hours: int = 12
    users: dict[str, User] = field(default_factory=dict)

    @property
    def has_admin(self) -> bool:
        return any(u.is_admin for u in self.users.values())


def load_section(cfg: Config, file: str) -> tuple[ConsoleSettings, list[ConfigProblem]]:
    """Same shape as the other packages' section loaders, so hotline.base.config can call it too."""
    section = SectionReader(cfg.raw, file, "console", SECTION_KEYS)
    problems, raw = section.problems, section.raw

    def problem(key: str, value: Any, fix: str) -> None:
        problems.append(ConfigProblem(file, key, value, fix))

    hours = raw.get("session_hours", 12)
    if isinstance(hours, bool) or not isinstance(hours, int) or not 1 <= hours <= 720:
        problem("console.session_hours", hours, "use a whole number of hours from 1 to 720")
        hours = 12
    users: dict[str, User] = {}
    table = raw.get("users", {})
    if not isinstance(table, dict):
        problem("console.users", table, "add users as tables: [console.users.alice]")
        table = {}
    for name, spec in table.items():
        user = _user(name, spec, problem, cfg.people)
        if user is not None:
            users[name] = user
    return ConsoleSettings(hours, users), problems


def _user(name: str, spec: Any, problem: Any, people: Mapping[str, object]) -> User | None:
    key = f"console.users.{name}"
    if not USER_RE.match(name):
        problem(key, name, "use letters, digits, '.', '_' or '-' for a user name")
        return None
    if not isinstance(spec, dict):
        problem(key, spec, 'must be a table with role and password_hash: [console.users.alice]')
        return None
    if "password" in spec:
        problem(f"{key}.password", "(hidden)", f"never put a password in the file; {HASH_FIX}")
    for extra in sorted(set(spec) - USER_KEYS - {"password"}):
        problem(f"{key}.{extra}", spec[extra], "unknown setting; use role, password_hash and person")
    person = spec.get("person")
    if person is not None and (not isinstance(person, str) or person not in people):
        choices = ", ".join(sorted(people)) or "none configured"
        problem(f"{key}.person", person, f"use the key of a [people.KEY] table ({choices}), or leave it out")
        person = None
    role = spec.get("role")
    if role not in ROLES:
        problem(f"{key}.role", role, 'use "admin" or "viewer"')
    pw_hash = spec.get("password_hash")
    hash_ok = isinstance(pw_hash, str) and bool(HASH_RE.match(pw_hash))
    if not hash_ok and ("password" not in spec or pw_hash is not None):  # one problem per mistake
        problem(f"{key}.password_hash", "(hidden)" if pw_hash else pw_hash, HASH_FIX)
    if role not in ROLES or not hash_ok:
        return None
    return User(name, role, str(pw_hash), person)
