"""Configuration problems, each naming the file, the key, the bad value and the fix.

Its own module so that the section parsers (on-call, transcription, console) and the main
loader can all report problems without importing one another.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class ConfigProblem:
    file: str
    key: str
    value: Any
    fix: str

    def __str__(self) -> str:
        return f"{self.file}: {self.key} = {self.value!r}: {self.fix}"


class ConfigError(Exception):
    """Raised with every problem found, so one start-up shows them all."""

    def __init__(self, problems: list[ConfigProblem]):
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{len(problems)} configuration problem(s):\n{lines}")


class SectionReader:
    """The opening every `[section]` parser shares: the section as a table (one problem if it is
    not), one problem per unknown key naming the known ones, and `bad` for the parser's own
    checks, each naming the file, the key and the fix."""

    def __init__(self, raw: dict[str, Any], file: str, name: str, keys: Collection[str]):
        self.file, self.name = file, name
        self.problems: list[ConfigProblem] = []
        section = raw.get(name, {})
        if not isinstance(section, dict):
            self.bad("", section, f"must be a table: [{name}]")
            section = {}
        for key in sorted(set(section) - set(keys)):
            self.bad(key, section[key], f"unknown setting; use one of: {', '.join(sorted(keys))}")
        self.raw: dict[str, Any] = section

    def bad(self, key: str, value: Any, fix: str) -> None:
        self.problems.append(ConfigProblem(self.file, f"{self.name}.{key}" if key else self.name, value, fix))
