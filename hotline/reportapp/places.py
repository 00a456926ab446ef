"""Where a report was made, as plain functions over plain data: a location read from the app's
JSON (refused when out of range, never guessed), the configured site it is nearest to, and the
`geo:` link that opens the phone's own map app (no map tiles are fetched from anywhere)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

EARTH_KM = 6371.0088


@dataclass(frozen=True)
class Location:
    lat: float
    lon: float
    accuracy_m: float | None
    at: datetime | None


def read_location(raw: Any) -> Location | None:
    """{"lat", "lon", "accuracy", "at" (ms since 1970)} from the app; None when absent or not a place."""
    if not isinstance(raw, dict):
        return None
    lat, lon, acc, at = (_number(raw.get(k)) for k in ("lat", "lon", "accuracy", "at"))
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    accuracy = acc if acc is not None and 0 <= acc < 1_000_000 else None
    when = datetime.fromtimestamp(at / 1000, UTC) if at is not None and 0 < at < 10**14 else None
    return Location(lat, lon, accuracy, when)


def _number(v: Any) -> float | None:
    ok = isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
    return float(v) if ok else None


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance (haversine)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_KM * math.asin(min(1.0, math.sqrt(h)))


def nearest_site(lat: float, lon: float, sites: Mapping[str, tuple[float, float]]) -> tuple[str, float] | None:
    """(site code, km) of the nearest configured site; None when no site has coordinates."""
    if not sites:
        return None
    return min(((code, distance_km((lat, lon), spot)) for code, spot in sites.items()), key=lambda p: (p[1], p[0]))


def geo_uri(lat: float, lon: float, accuracy_m: float | None = None) -> str:
    """RFC 5870: `geo:25.033,121.5654;u=12`, which phones open in their map app."""
    uncertainty = f";u={accuracy_m:.0f}" if accuracy_m is not None else ""
    return f"geo:{lat:.6f},{lon:.6f}{uncertainty}"
