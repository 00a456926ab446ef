"""Every console page in Chromium, at 390 px (a phone, both languages) and 1280 px: nothing is
wider than the screen, and axe-core finds no serious or critical accessibility violation.
Screenshots of each go to artifacts/console/pages/."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.support.console import ARTIFACTS, login, pages
from tests.support.sandbox import Hotline

AXE = Axe()
SIZES = [(390, "en-US"), (390, "zh-TW"), (1280, "en-US")]


def browser_pages(hotline: Hotline, ids: dict[str, int]) -> list[str]:
    """Whole pages (fragments polled by live.js are checked inside their pages)."""
    return [u for u in pages(hotline, ids) if not re.search(r"/(rows|live)$|\.csv$", u)] + ["/console/login"]


@pytest.mark.parametrize(("width", "lang"), SIZES)
def test_every_page_fits_and_passes_axe(context, hotline: Hotline, incidents_in_each_state: dict[str, int],
                                        width: int, lang: str):
    context.add_cookies([{"name": "console_lang", "value": lang, "url": hotline.public_url}])
    page = login(context.new_page())
    page.wait_for_url("**/console/incidents")
    page.set_viewport_size({"width": width, "height": 900})
    folder = ARTIFACTS / "pages"
    folder.mkdir(parents=True, exist_ok=True)
    too_wide, violations, seen = [], [], 0
    for url in browser_pages(hotline, incidents_in_each_state):
        response = page.goto(url)
        if response is None or "text/html" not in response.headers.get("content-type", ""):
            continue
        seen += 1
        page.wait_for_load_state("load")
        width_now = page.evaluate("document.documentElement.scrollWidth")
        if width_now > width:
            too_wide.append(f"{url}: {width_now} px")
        result = AXE.run(page)
        for v in result.response["violations"]:
            if v["impact"] in ("serious", "critical"):
                targets = [n["target"] for n in v["nodes"]][:3]
                violations.append(f"{url}: {v['id']} ({v['impact']}) {v['help']} {targets}")
        name = re.sub(r"[^a-z0-9]+", "-", url.lower()).strip("-") or "root"
        page.screenshot(path=str(folder / f"{name}-{width}-{lang}.png"), full_page=True)
    assert seen >= 10
    assert not too_wide, "wider than the screen:\n" + "\n".join(too_wide)
    assert not violations, "axe:\n" + "\n".join(violations)
