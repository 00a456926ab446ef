"""The crisis panel and the dark site in Chromium: an admin activates the plan from the console,
sees who is on the bridge, ticks off a checklist step, drafts a statement that a second admin
approves, and switches the dark site on (read at phone width, 390 px) and off again."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from hotline.base.config import ROOT
from tests.support.crisis import make_hotline
from tests.support.crisis_browser import browser, context_for, login, press  # noqa: F401  (fixture)
from tests.support.lanes import starts_processes
from tests.support.sandbox import Hotline

CALLER = "+886955000321"
ARTIFACTS = ROOT / "artifacts" / "crisis"


@pytest.fixture(scope="module")
@starts_processes
def h(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hotline]:
    yield from make_hotline(request, tmp_path_factory, "sqlite")




@pytest.fixture(scope="module")
def incident_id(h: Hotline) -> int:
    """A cyber-security report nobody has verified yet."""
    return h.reported("22", CALLER)


def crisis_calls(h: Hotline) -> list:
    return [c for c in h.sim.call_objects() if "/voice/crisis/answer" in (c.options.url or "")]


def test_activate_bridge_checklist_statement_and_dark_site(browser: Browser, h: Hotline, incident_id: int):  # noqa: F811
    for person in h.config.people.values():
        h.sim.phone(person.phone).manual()
    alice_ctx, bob_ctx, public = context_for(browser, h), context_for(browser, h), \
        context_for(browser, h, viewport={"width": 390, "height": 844}, java_script_enabled=False)
    try:
        alice = login(alice_ctx, "alice")
        alice.goto(f"/console/incidents/{incident_id}")
        press(alice, "#crisis-activate-form button")
        alice.wait_for_selector("text=Crisis plan activated: the team is being called.")
        alice.locator("#crisis-team tr").nth(5).wait_for()  # five roles, a row each

        # Two team members press 2 on their notification call: the panel lists them on the bridge.
        h.wait_for(lambda: len(crisis_calls(h)) >= 2, what="notification calls")
        joined = []
        for call in crisis_calls(h)[:2]:
            member = h.sim.handle(call.sid)
            member.answer()
            member.expect_say("crisis was activated")
            member.press("2")
            member.expect_say("Joining the crisis bridge")
            joined.append(call.to)
        names = {p.name for p in h.config.people.values() if p.phone in joined}
        # The bridge panel is in the page's live region: it follows the conference callbacks, no reload.
        for name in names:
            alice.locator("#crisis-bridge", has_text=name).wait_for()

        # The checklist: tick the first step off; it shows who did it.
        first = alice.locator("#crisis-checklist tr[data-step]").first
        press(alice, first.locator("button"))
        alice.wait_for_selector("text=Step done.")
        assert "alice" in alice.locator("#crisis-checklist tr[data-step]").first.inner_text()

        # Alice drafts from the template; she may not approve her own draft; Bob approves.
        assert "We have activated our crisis plan" in alice.locator("#statement-form").inner_text() or \
            "crisis plan" in alice.input_value("textarea[name='body_en-US']")
        alice.fill("textarea[name='body_en-US']", "First statement: systems isolated. Next update 14:00.")
        press(alice, "#statement-form button[type=submit]")
        alice.wait_for_selector("text=Statement drafted: a second person must approve it.")
        assert alice.locator(".approve-form").count() == 0  # never offered a button that can only be refused
        alice.wait_for_selector("text=You drafted this statement: a second person must approve it.")
        bob = login(bob_ctx, "bob")
        bob.goto(f"/console/incidents/{incident_id}")
        press(bob, ".approve-form button")
        bob.wait_for_selector("text=Statement published.")
        assert "Approved by bob" in bob.locator("article.statement").first.inner_text()

        # The dark site: neutral while off; the statement (at 390 px, no scripts) once on; neutral again off.
        reader = public.new_page()
        reader.goto("/site/en-US/")
        assert "First statement" not in reader.content()
        press(bob, "#dark-site-form button")
        bob.wait_for_selector("text=The dark site is on.")
        reader.goto("/site/en-US/?on")  # another URL: the browser, like a CDN, may keep a page a minute
        assert "First statement: systems isolated." in reader.locator("main").inner_text()
        assert "+886277001234" in reader.locator("footer").inner_text()
        # Readable at phone width: nothing wider than the screen (no sideways scrolling).
        widths = [box["width"] for box in (el.bounding_box() for el in reader.locator("body *").all()) if box]
        assert max(widths) <= 390, widths
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        reader.screenshot(path=str(ARTIFACTS / "darksite-390.png"), full_page=True)
        press(bob, "#dark-site-form button")
        bob.wait_for_selector("text=The dark site is off.")
        reader.goto("/site/en-US/?off")
        assert "First statement" not in reader.content()
    finally:
        alice_ctx.close()
        bob_ctx.close()
        public.close()
