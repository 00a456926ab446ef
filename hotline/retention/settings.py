"""The `[retention] section of config.toml: how long callers' recordings and transcripts are kept
after their incident is closed.

    [retention]
    recordings = "90d"     # the audio files in recordings/; then deleted, the row says "purged"
    transcripts = "90d"    # the transcript text and words; then emptied, the row says "purged"

A duration is a whole number and a unit: h (hours), d (days) or w (weeks); "forever" keeps them.
A missing key keeps them forever (the behaviour before retention existed), so an upgrade never
deletes anything until the organisation decides. Incidents on legal hold are never purged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from hotline.base import durations
from hotline.base.config_errors import ConfigProblem, SectionReader

if TYPE_CHECKING:
    from hotline.base.config import Config

KEYS = ("recordings", "transcripts")
FOREVER = "forever"
FIX = 'use a duration such as "90d" (h = hours, d = days, w = weeks, at least 1h), or "forever"'


@dataclass(frozen=True)
class RetentionSettings:
    recordings: timedelta | None = None  # None: kept forever
    transcripts: timedelta | None = None

    @property
    def active(self) -> bool:
        return self.recordings is not None or self.transcripts is not None


def parse_duration(value: Any) -> timedelta | None:
    """A duration (`hotline.base.durations`), None for "forever"; ValueError for anything else."""
    if isinstance(value, str) and value.strip().lower() == FOREVER:
        return None
    return durations.parse_duration(value, units="wdh")


def describe(value: timedelta | None) -> str:
    if value is None:
        return "forever"
    days, hours = value.days, value.seconds // 3600
    return f"{days} days" if not hours else f"{days * 24 + hours} hours"


def load_section(cfg: Config, file: str) -> tuple[RetentionSettings, list[ConfigProblem]]:
    """Same shape as the other section loaders: (value, problems)."""
    section = SectionReader(cfg.raw, file, "retention", KEYS)
    values: dict[str, timedelta | None] = {}
    for key in KEYS:
        try:
            values[key] = parse_duration(section.raw[key]) if key in section.raw else None
        except ValueError:
            section.bad(key, section.raw[key], FIX)
            values[key] = None
    return RetentionSettings(**values), section.problems
