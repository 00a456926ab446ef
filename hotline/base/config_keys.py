"""Every key of config.toml is one somebody reads: a misspelt key is a problem, not a silence.

`public_ulr = "https://..."` would otherwise leave the hotline on its default URL, and every
Twilio signature would fail, with nothing to say why. So the base's own sections (the ones
`hotline.base.config` reads) list their keys here, every top-level table must be the base's or one
a feature declares (`registry().tables`), and each unknown key is reported with the file, the
key and the closest known key. Feature sections check their own keys where they parse them.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

from hotline.base.config_errors import ConfigProblem

# The top-level tables hotline.base.config reads, and the keys of each. None: a table of named
# entries (people, incident types ...) whose entries have the keys given by ENTRY_KEYS.
SECTION_KEYS: dict[str, frozenset[str] | None] = {
    "organisation": frozenset({"name", "default_region", "timezone"}),
    "hotline": frozenset({"numbers", "public_url", "languages", "flow", "lifeline_number", "record_max_seconds",
                          "voices"}),
    "twilio": frozenset({"api_base_url", "account_sid", "auth_token"}),  # the secrets are refused on their own
    "web": frozenset({"trusted_proxies"}),
    "security": frozenset({"trust_verified_caller_id"}),
    "redis": frozenset({"url"}),
    "database": frozenset({"url"}),
    "storage": frozenset({"data_dir", "recordings_dir", "flows_dir"}),
    "incident_types": None,
    "people": None,
    "operators": None,
    "sites": None,  # site code -> name: any code is a key
}
ENTRY_KEYS: dict[str, frozenset[str]] = {
    "incident_types": frozenset({"names"}),
    "people": frozenset({"name", "phone", "languages", "email"}),
    "operators": frozenset({"name", "phone"}),
}


def unknown_keys(file: str, raw: Mapping[str, Any], feature_tables: Iterable[str]) -> list[ConfigProblem]:
    """A problem for each top-level table nobody reads and each unknown key of the base's sections."""
    tables = frozenset(SECTION_KEYS) | frozenset(feature_tables)
    problems: list[ConfigProblem] = []
    for name in raw:
        if name not in tables:
            problems.append(ConfigProblem(file, name, "(table)", _fix(name, tables, "table")))
            continue
        section = raw[name]
        if not isinstance(section, dict):
            continue  # the section's own parser says what it must be
        keys = SECTION_KEYS.get(name)
        if keys is not None:
            problems.extend(_unknown(file, name, section, keys))
        elif name in ENTRY_KEYS:
            for entry, spec in section.items():
                if isinstance(spec, dict):
                    problems.extend(_unknown(file, f"{name}.{entry}", spec, ENTRY_KEYS[name]))
    return problems


def check_keys(file: str, prefix: str, table: Mapping[str, Any], known: Iterable[str]) -> list[ConfigProblem]:
    """For a feature's own section: each key of `table` that is not `known`, with the closest one."""
    return _unknown(file, prefix, table, frozenset(known))


def _unknown(file: str, prefix: str, table: Mapping[str, Any], known: frozenset[str]) -> list[ConfigProblem]:
    return [ConfigProblem(file, f"{prefix}.{key}", table[key], _fix(key, known, "setting", prefix))
            for key in table if key not in known]


def _fix(key: str, known: Iterable[str], what: str, prefix: str = "") -> str:
    options = sorted(known)
    close = difflib.get_close_matches(key, options, n=1, cutoff=0.6)
    where = f" in [{prefix}]" if prefix else ""
    if close:
        return f"unknown {what}{where}: did you mean `{close[0]}`? (known: {', '.join(options)})"
    return f"unknown {what}{where}; remove it or use one of: {', '.join(options)}"
