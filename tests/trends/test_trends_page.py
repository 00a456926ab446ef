"""The trends page in Chromium at 390 px, in both languages: real reports counted apart from a
drill's, the false-alarm rate from the crisis verdicts, the tables and the server-side charts,
and the same figures as CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page

from hotline.base.config import ROOT
from tests.support.crisis import client_for, make_hotline
from tests.support.crisis_browser import browser, context_for, login  # noqa: F401  (fixture)
from tests.support.lanes import starts_processes
from tests.support.sandbox import Hotline

pytestmark = pytest.mark.slow
ARTIFACTS = ROOT / "artifacts" / "console" / "phone"


def serious(page: Page) -> list[str]:
    """What axe finds serious or critical on the page."""
    return [f"{v['id']}: {[n['target'] for n in v['nodes']][:3]}" for v in Axe().run(page).response["violations"]
            if v["impact"] in ("serious", "critical")]


@pytest.fixture(scope="module")
@starts_processes
def h(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hotline]:
    yield from make_hotline(request, tmp_path_factory, "sqlite")


@pytest.fixture(scope="module")
def history(h: Hotline) -> list[int]:
    """A finished tabletop drill, then two real reports: one accepted by Lin, one a false alarm."""
    for person in h.config.people.values():
        h.sim.phone(person.phone).manual()
    alice = client_for(h, "alice")
    r = alice.post("/console/drills", data={"kind": "tabletop", "type": "other", "participants": ["wang", "lin"],
                                            "text": "Smoke in the server room", "start": "1", "csrf_token": alice.csrf})
    drill_id = int(r.headers["Location"].rsplit("/", 1)[-1])
    alice.post(f"/console/drills/{drill_id}/finish", data={"csrf_token": alice.csrf})
    ids = []
    for caller in ("+886955009001", "+886955009002"):
        h.sim.phone(caller).manual()
        c = h.report("22", caller)
        ids.append(h.wait_for(lambda c=c: h.incident_for(c.sid), what="incident").id)
    assert alice.post(f"/console/incidents/{ids[0]}/accept",
                      data={"csrf_token": alice.csrf, "person": "lin"}).status_code == 302
    assert alice.post(f"/console/incidents/{ids[1]}/crisis/false-alarm",
                      data={"csrf_token": alice.csrf, "note": "a test by IT"}).status_code == 302
    return ids


def test_trends_at_390px_in_both_languages(browser: Browser, h: Hotline, history: list[int]):  # noqa: F811
    ctx = context_for(browser, h, viewport={"width": 390, "height": 844})
    try:
        page = login(ctx, "alice")
        page.goto("/console/trends")
        assert page.locator("#real h2").inner_text().endswith(": 2")
        assert page.locator("#drills h2").inner_text().endswith(": 1")
        assert "1 / 1" in page.locator("#false-alarms").inner_text()
        assert page.locator("#by-person tr[data-group=lin] td[data-measure=accept]").inner_text().startswith("median ")
        assert page.locator("svg#chart-hours rect.bar").count() == 8  # three-hour blocks
        assert page.locator("#by-type tr[data-group=cyber_security]").count() == 1
        for chart in ("chart-accept-type", "chart-accept-hour", "chart-unanswered", "chart-hours", "chart-weeks"):
            assert page.locator(f"svg#{chart}").count() == 1
        assert page.locator("svg#chart-weeks rect.bar").count() >= 13  # 90 days: every week, empty ones too
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        with page.expect_download() as got:
            page.click("#csv")
        rows = list(csv.reader(io.StringIO(got.value.path().read_text(encoding="utf-8"))))
        assert ["real", "false_alarms", "", "verdicts", "", "", "", "1", "1"] in rows
        assert any(r[:4] == ["real", "person", "lin", "accept"] and r[4] == "1" for r in rows)
        assert any(r[:2] == ["drill", "overall"] for r in rows)

        ctx.add_cookies([{"name": "console_lang", "value": "zh-TW", "url": h.public_url}])
        page.goto("/console/trends?days=30")
        assert page.locator("h1").inner_text() == "趨勢" and "誤報" in page.locator("#false-alarms").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert serious(page) == []
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "trends-390-zh-TW.png"), full_page=True)
    finally:
        ctx.close()
