"""Configuration problems, each naming the file, the key, the bad value and the fix.

Its own module so that the section parsers (on-call, transcription, console) and the main
loader can all report problems without importing one another.
"""

from __future__ import annotations

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
