"""The `[text_reports]` section of config.toml: how many texts one sender may send.

    [text_reports]
    burst = 5              # texts a sender may send at once ...
    seconds_per_text = 30  # ... then one per this many seconds (the allowance refills at that pace)

A text over the limit is still kept, on the sender's report's timeline (the first law), but it
opens no new report and gets no answer, so one number cannot flood the rota or run up the bill.
The limit is per sender number as the signed webhook gives it, so nobody can spend someone else's
allowance.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from hotline.base.config_errors import ConfigProblem, SectionReader

if TYPE_CHECKING:
    from hotline.base.config import Config

KEYS = {"burst", "seconds_per_text"}


@dataclass(frozen=True)
class TextReportSettings:
    burst: int = 5
    seconds_per_text: float = 30.0


def load_section(cfg: Config, file: str) -> tuple[TextReportSettings, list[ConfigProblem]]:
    section = SectionReader(cfg.raw, file, "text_reports", KEYS)
    raw, bad, problems = section.raw, section.bad, section.problems
    burst = raw.get("burst", 5)
    if isinstance(burst, bool) or not isinstance(burst, int) or not 1 <= burst <= 100:
        bad("burst", burst, "use a whole number of texts from 1 to 100")
        burst = 5
    per = raw.get("seconds_per_text", 30)
    if isinstance(per, bool) or not isinstance(per, int | float) or not 1 <= per <= 3600:
        bad("seconds_per_text", per, "use a number of seconds from 1 to 3600")
        per = 30
    return TextReportSettings(burst, float(per)), problems
