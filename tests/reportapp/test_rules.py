"""The reporting app's rules as tables: where a report was, which site is nearest, the `geo:`
link, the device token header, and the `[reportapp]` section's validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.base.config import load_config
from hotline.reportapp.auth import bearer, digest, new_token
from hotline.reportapp.places import geo_uri, nearest_site, read_location
from hotline.reportapp.settings import AppSettings
from tests.support.crisis import write_config

SITES = {"101": (25.0330, 121.5654), "102": (24.7736, 121.0127), "201": (22.6163, 120.3133)}


@pytest.mark.parametrize(("lat", "lon", "site"), [
    (25.04, 121.56, "101"), (24.80, 121.00, "102"), (22.60, 120.30, "201"), (23.5, 120.5, "201")])
def test_the_nearest_site(lat: float, lon: float, site: str):
    found = nearest_site(lat, lon, SITES)
    assert found is not None and found[0] == site


def test_no_site_has_coordinates_no_nearest_site():
    assert nearest_site(25.0, 121.0, {}) is None


def test_distance_is_about_right():
    found = nearest_site(24.7736, 121.0127, {"101": SITES["101"]})
    assert found is not None and 60 < found[1] < 75  # Hsinchu to Taipei: about 67 km


@pytest.mark.parametrize(("raw", "ok"), [
    ({"lat": 25.0, "lon": 121.5, "accuracy": 12.5, "at": 1_765_000_000_000}, True),
    ({"lat": 25.0, "lon": 121.5}, True),
    ({"lat": 95.0, "lon": 121.5}, False), ({"lat": 25.0, "lon": 200}, False),
    ({"lat": "25", "lon": 121.5}, False), ({"lat": True, "lon": 121.5}, False),
    ({"lat": float("nan"), "lon": 121.5}, False), (None, False), ("25,121", False)])
def test_a_location_is_read_or_dropped(raw: object, ok: bool):
    assert (read_location(raw) is not None) is ok


def test_a_bad_accuracy_is_dropped_not_the_place():
    spot = read_location({"lat": 25.0, "lon": 121.5, "accuracy": -3})
    assert spot is not None and spot.accuracy_m is None and spot.at is None


def test_the_geo_link_opens_the_map_app():
    assert geo_uri(25.033, 121.5654, 12.4) == "geo:25.033000,121.565400;u=12"
    assert geo_uri(-1.5, 2.25) == "geo:-1.500000,2.250000"


@pytest.mark.parametrize(("header", "found"), [
    ("Bearer " + "a" * 43, "a" * 43), ("bearer " + "a" * 43, None), ("Bearer short", None), (None, None),
    ("Basic " + "a" * 43, None)])
def test_the_device_token_header(header: str | None, found: str | None):
    assert bearer(header) == found


def test_tokens_are_random_and_stored_as_digests():
    a, b = new_token(), new_token()
    assert a != b and len(a) >= 43 and digest(a) != a and len(digest(a)) == 64


def _load(tmp_path: Path, section: str) -> tuple[object, list[str]]:
    text = write_config(tmp_path).read_text(encoding="utf-8")
    start = text.index("\n[reportapp]\n")
    end = text.index("\n# ---", start + 1)
    path = tmp_path / "config.toml"
    path.write_text(text[:start] + "\n" + section + text[end:], encoding="utf-8")
    try:
        return load_config(path).section(AppSettings), []
    except Exception as exc:  # noqa: BLE001  (the config error lists every problem)
        return None, [str(exc)]


def test_the_repository_config_places_its_sites(tmp_path: Path):
    settings, problems = _load(tmp_path, '[reportapp]\n[reportapp.site_locations]\n"101" = [25.0330, 121.5654]\n')
    assert not problems and isinstance(settings, AppSettings) and settings.site_locations == {"101": SITES["101"]}


@pytest.mark.parametrize(("section", "says"), [
    ("[reportapp]\nenrol_hours = 3\n", "reportapp.enrol_hours"),
    ("[reportapp]\nenrol_link_hours = 0\n", "reportapp.enrol_link_hours"),
    ('[reportapp.site_locations]\n"999" = [25.0, 121.0]\n', "reportapp.site_locations.999"),
    ('[reportapp.site_locations]\n"101" = [125.0, 121.0]\n', "reportapp.site_locations.101"),
    ('[reportapp.site_locations]\n"101" = "Taipei"\n', "reportapp.site_locations.101")])
def test_a_bad_setting_is_named_with_its_fix(tmp_path: Path, section: str, says: str):
    _, problems = _load(tmp_path, section)
    assert problems and says in problems[0] and "config.toml" in problems[0]
