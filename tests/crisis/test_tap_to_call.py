"""Tap to call (issue #25), in Chromium at 390 and 1280 px in both languages: on an incident
whose crisis plan is active, every team member's number is a `tel:` link, the crisis bridge has a
button that calls the hotline with the instructions to join it, and a callback number that differs
from the caller's is shown, and called, on its own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from hotline.base import jobs
from hotline.base.lifecycle import Actor, Channel
from hotline.crisis import commands as crisis_commands
from hotline.paging import commands
from tests.support.crisis import client_for, make_hotline
from tests.support.crisis_browser import browser, context_for, login  # noqa: F401  (fixture)
from tests.support.lanes import starts_processes
from tests.support.sandbox import Hotline

CALLER, CALLBACK = "+886955007101", "+886955007199"
JOIN = {"en-US": "press 5, then enter your PIN", "zh-TW": "按 5，再輸入您的 PIN 碼"}


@pytest.fixture(scope="module")
@starts_processes
def h(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hotline]:
    yield from make_hotline(request, tmp_path_factory, "sqlite")


@pytest.fixture(scope="module")
def incident_id(h: Hotline) -> int:
    """A cyber-security report whose plan is active, with a callback number of its own."""
    found = h.reported("22", CALLER)
    jobs.run(commands.set_details, found, {"callback_number": CALLBACK}, Actor("alice", Channel.CONSOLE))
    alice = client_for(h, "alice")
    assert alice.post(f"/console/incidents/{found}/crisis/activate", data={"csrf_token": alice.csrf}).status_code == 302
    with h.session() as s:
        assert crisis_commands.crisis_for(s, found) is not None
    return found


@pytest.mark.parametrize(("width", "lang"), [(390, "zh-TW"), (1280, "en-US")])
def test_team_bridge_and_callback_number_are_tap_to_call(browser: Browser, h: Hotline, incident_id: int,  # noqa: F811
                                                         width: int, lang: str):
    ctx = context_for(browser, h, viewport={"width": width, "height": 844})
    ctx.add_cookies([{"name": "console_lang", "value": lang, "url": h.public_url}])
    try:
        page = login(ctx, "alice")
        page.goto(f"/console/incidents/{incident_id}")
        team = page.locator("#crisis-team a.tel").evaluate_all("links => links.map(a => a.getAttribute('href'))")
        phones = {f"tel:{p.phone}" for p in h.config.people.values()}
        assert team and set(team) <= phones, team
        assert page.locator("#bridge-call").get_attribute("href") == f"tel:{h.config.numbers[0]}"
        assert JOIN[lang] in page.locator("#bridge-join").inner_text()
        assert page.locator("#caller a.tel").get_attribute("href") == f"tel:{CALLER}"
        assert page.locator("#callback-number a.tel").get_attribute("href") == f"tel:{CALLBACK}"
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    finally:
        ctx.close()
