"""A phone at 3 a.m. (issue #25): at 390 px, in both languages, no console page scrolls sideways,
including an incident whose crisis plan is active (team, checklist, statements, dark site), the
crisis list, a running drill and the drills page with its charts, whose every label is at least
11 px tall on screen and whose values carry their unit; axe finds nothing serious on them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser

from hotline.base.config import ROOT
from hotline.crisis import commands
from hotline.drills.models import Drill, DrillState
from tests.support.crisis import client_for, make_hotline
from tests.support.crisis_browser import browser, context_for, login  # noqa: F401  (fixture)
from tests.support.sandbox import Hotline

ARTIFACTS = ROOT / "artifacts" / "console" / "phone"
AXE = Axe()


@pytest.fixture(scope="module")
def h(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hotline]:
    yield from make_hotline(request, tmp_path_factory, "sqlite")


@pytest.fixture(scope="module")
def drill_urls(h: Hotline) -> list[str]:
    """A finished drill (the charts) and a running one: before any real report, which would stop it."""
    for person in h.config.people.values():
        h.sim.phone(person.phone).manual()
    alice = client_for(h, "alice")
    drills = []
    for _ in range(2):
        r = alice.post("/console/drills", data={"kind": "tabletop", "type": "other", "participants": ["wang", "lin"],
                                                "text": "Smoke in the server room", "start": "1",
                                                "csrf_token": alice.csrf})
        drills.append(int(r.headers["Location"].rsplit("/", 1)[-1]))
    alice.post(f"/console/drills/{drills[0]}/finish", data={"csrf_token": alice.csrf})
    with h.session() as s:
        assert s.get(Drill, drills[1]).state == DrillState.RUNNING
    return ["/console/drills", f"/console/drills/{drills[1]}", f"/console/drills/{drills[0]}",
            f"/console/drills/{drills[0]}/print"]


def crisis_urls(h: Hotline) -> list[str]:
    """An activated crisis with a long drafted statement, its incident page and the crisis list."""
    h.sim.phone("+886955007001").manual()
    c = h.report("22", "+886955007001")
    incident_id = h.wait_for(lambda: h.incident_for(c.sid), what="incident").id
    alice = client_for(h, "alice")
    r = alice.post(f"/console/incidents/{incident_id}/crisis/activate", data={"csrf_token": alice.csrf})
    assert r.status_code == 302
    with h.session() as s:
        crisis = commands.crisis_for(s, incident_id)
        assert crisis is not None
        crisis_id = crisis.id
    alice.post(f"/console/incidents/{incident_id}/crisis/{crisis_id}/statements",
               data={"csrf_token": alice.csrf, "body_en-US": "Systems isolated while we investigate. " * 4,
                     "body_zh-TW": "我們已隔離系統並持續調查。" * 4})
    return [f"/console/incidents/{incident_id}", "/console/crisis/"]


def too_wide(browser: Browser, h: Hotline, urls: list[str], lang: str, check_charts: bool = False) -> list[str]:  # noqa: F811
    ctx = context_for(browser, h, viewport={"width": 390, "height": 844})
    ctx.add_cookies([{"name": "console_lang", "value": lang, "url": h.public_url}])
    try:
        page = login(ctx, "alice")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        wide = []
        for url in urls:
            page.goto(url)
            page.wait_for_load_state("load")
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > 390:
                wide.append(f"{url}: {width} px")
            for v in AXE.run(page).response["violations"]:  # and axe stays clean on these pages too
                if v["impact"] in ("serious", "critical"):
                    wide.append(f"{url}: axe {v['id']} ({v['impact']}) {[n['target'] for n in v['nodes']][:3]}")
            name = url.strip("/").replace("/", "-")
            page.screenshot(path=str(ARTIFACTS / f"{name}-390-{lang}.png"), full_page=True)
        if check_charts:
            page.goto("/console/drills")
            sizes = page.evaluate("""[...document.querySelectorAll('svg.chart text')]
                .map(t => [t.textContent, t.getBoundingClientRect().height])""")
            assert sizes
            small = [(text, round(height, 1)) for text, height in sizes if height < 11]
            assert not small, small
            values = page.evaluate("[...document.querySelectorAll('svg.chart text.value')].map(t => t.textContent)")
            assert all(v.strip().endswith(("s", "%")) for v in values), values  # every value with its unit
        return wide
    finally:
        ctx.close()


@pytest.mark.parametrize("lang", ["en-US", "zh-TW"])
def test_drill_pages_fit_a_phone_and_their_charts_are_readable(browser: Browser, h: Hotline,  # noqa: F811
                                                               drill_urls: list[str], lang: str):
    wide = too_wide(browser, h, drill_urls, lang, check_charts=True)
    assert not wide, wide


def test_an_activated_crisis_fits_a_phone(browser: Browser, h: Hotline, drill_urls: list[str]):  # noqa: F811
    urls = crisis_urls(h)
    wide = too_wide(browser, h, urls, "en-US") + too_wide(browser, h, urls, "zh-TW")
    assert not wide, wide
