"""The `[reportapp]` section of config.toml: the staff reporting app.

    [reportapp]
    enrol_link_hours = 72       # an enrolment link (and its QR code) works this long, once
    max_photo_kb = 4096         # a larger photo is refused (the report itself still counts)

    [reportapp.site_locations]  # optional: where each site of [sites] is, as [latitude, longitude];
    "101" = [25.0330, 121.5654] # an app report names the nearest one, and the incident list filters by it

Every key is optional; an unknown key, a site code that is not in `[sites]`, or a coordinate
out of range is an error naming the file, the key and the fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hotline.base.config_errors import ConfigProblem, SectionReader

if TYPE_CHECKING:
    from hotline.base.config import Config

KEYS = {"enrol_link_hours", "max_photo_kb", "site_locations"}


@dataclass(frozen=True)
class AppSettings:
    enrol_link_hours: int = 72
    max_photo_kb: int = 4096
    site_locations: dict[str, tuple[float, float]] = field(default_factory=dict)  # site code -> (lat, lon)


def load_section(cfg: Config, file: str) -> tuple[AppSettings, list[ConfigProblem]]:
    section = SectionReader(cfg.raw, file, "reportapp", KEYS)
    raw, bad, problems = section.raw, section.bad, section.problems
    hours = raw.get("enrol_link_hours", 72)
    if isinstance(hours, bool) or not isinstance(hours, int) or not 1 <= hours <= 24 * 30:
        bad("enrol_link_hours", hours, "use a whole number of hours from 1 to 720")
        hours = 72
    photo = raw.get("max_photo_kb", 4096)
    if isinstance(photo, bool) or not isinstance(photo, int) or not 64 <= photo <= 20_480:
        bad("max_photo_kb", photo, "use a whole number of kilobytes from 64 to 20480")
        photo = 4096
    return AppSettings(hours, photo, _site_locations(raw.get("site_locations", {}), cfg.sites, bad)), problems


def _site_locations(raw: Any, sites: dict[str, str], bad: Any) -> dict[str, tuple[float, float]]:
    if not isinstance(raw, dict):
        bad("site_locations", raw, "must be a table: [reportapp.site_locations] \"101\" = [25.03, 121.56]")
        return {}
    out: dict[str, tuple[float, float]] = {}
    for code, spot in raw.items():
        if code not in sites:
            bad(f"site_locations.{code}", spot, f"use a site code of [sites]: {', '.join(sites) or '(none yet)'}")
            continue
        ok = (isinstance(spot, list) and len(spot) == 2
              and all(isinstance(v, int | float) and not isinstance(v, bool) for v in spot))
        if not ok or not (-90 <= spot[0] <= 90 and -180 <= spot[1] <= 180):
            bad(f"site_locations.{code}", spot, "give [latitude, longitude] in degrees, e.g. [25.0330, 121.5654]")
            continue
        out[code] = (float(spot[0]), float(spot[1]))
    return out
