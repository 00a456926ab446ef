"""Every state-changing crisis button asks first (issue #25), in the paging actions' dialog,
saying what will happen; cancelling changes nothing; the result is shown in the crisis panel,
on screen where the button was pressed; a statement's drafter is not offered its Approve. In
Chromium at 390 and 1280 px."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from hotline.crisis import commands
from hotline.crisis.models import CrisisState
from tests.support.crisis import client_for, make_hotline
from tests.support.crisis_browser import browser, context_for, login  # noqa: F401  (fixture)
from tests.support.sandbox import Hotline


@pytest.fixture(scope="module")
def h(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hotline]:
    yield from make_hotline(request, tmp_path_factory, "sqlite")


def cyber_report(h: Hotline, caller: str) -> int:
    return h.reported("22", caller)


def crisis_state(h: Hotline, incident_id: int) -> str | None:
    with h.session() as s:
        crisis = commands.crisis_for(s, incident_id)
        return crisis.state if crisis is not None else None


def every_button_asks(page: Page, scope: str) -> list[str]:
    """Press each submit button in `scope`, read the dialog's question, cancel: the questions."""
    questions = []
    buttons = page.locator(f"{scope} form button[type=submit]")
    assert buttons.count() > 0
    for n in range(buttons.count()):
        button = buttons.nth(n)
        label = button.inner_text()
        button.scroll_into_view_if_needed()
        button.click()
        dialog = page.locator("dialog#confirm[open]")
        dialog.wait_for(timeout=3000)
        questions.append(f"{label}: {page.locator('#confirm-text').inner_text()}")
        page.click("#confirm-cancel")
        dialog.wait_for(state="detached")
    return questions


def in_view(page: Page, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    height = page.viewport_size["height"] if page.viewport_size else 0
    return box is not None and 0 <= box["y"] and box["y"] + box["height"] <= height


@pytest.mark.parametrize("width", [390, 1280])
def test_every_crisis_button_asks_and_the_result_shows_where_it_was_pressed(browser: Browser, h: Hotline,  # noqa: F811
                                                                            width: int):
    for person in h.config.people.values():
        h.sim.phone(person.phone).manual()
    incident_id = cyber_report(h, f"+8869550{width:05d}")
    ctx, bob_ctx = context_for(browser, h, viewport={"width": width, "height": 844}), context_for(browser, h)
    try:
        alice = login(ctx, "alice")
        alice.goto(f"/console/incidents/{incident_id}")
        asked = every_button_asks(alice, "#crisis")
        assert any("whole crisis team is called" in q for q in asked), asked
        assert any("false alarm" in q and "nobody on the crisis team is called" in q for q in asked), asked
        assert crisis_state(h, incident_id) is None  # cancelled: nothing happened

        alice.click("#crisis-activate-form button")
        alice.locator("dialog#confirm[open]").wait_for()
        alice.click("#confirm-ok")
        alice.locator("#crisis-result", has_text="Crisis plan activated").wait_for()
        assert in_view(alice, "#crisis-result")
        assert crisis_state(h, incident_id) == CrisisState.ACTIVE

        alice.fill("textarea[name='body_en-US']", "Systems isolated. Next update 14:00.")
        alice.click("#statement-form button[type=submit]")
        alice.locator("dialog#confirm[open]").wait_for()
        alice.click("#confirm-ok")
        alice.locator("#crisis-result", has_text="Statement drafted").wait_for()
        assert in_view(alice, "#crisis-result")
        # The drafter is told why she has no Approve button; she is never offered one to be refused.
        assert alice.locator(".approve-form").count() == 0
        assert "a second person must approve it" in alice.locator("article.statement .own-draft").inner_text()

        asked = every_button_asks(alice, "#crisis")  # checklist, tell staff, dark site, save draft
        assert any("done?" in q for q in asked) and any("dark site on?" in q for q in asked), asked
        bob = login(bob_ctx, "bob")
        bob.goto(f"/console/incidents/{incident_id}")
        asked = every_button_asks(bob, "#crisis")
        assert any(q.startswith("Approve and publish: ") and "public at once" in q for q in asked), asked
        with h.session() as s:
            crisis = commands.crisis_for(s, incident_id)
            assert crisis is not None and not crisis.dark_site_on
            assert all(st.done_at is None for st in crisis.steps)
            assert all(st.state == "draft" for st in crisis.statements)

        first = alice.locator("#crisis-checklist tr[data-step] button").first
        first.scroll_into_view_if_needed()
        first.click()
        alice.locator("dialog#confirm[open]").wait_for()
        alice.click("#confirm-ok")
        alice.locator("#crisis-result", has_text="Step done.").wait_for()
        assert in_view(alice, "#crisis-result")
    finally:
        ctx.close()
        bob_ctx.close()


def test_the_crisis_panel_updates_live_for_a_second_admin(browser: Browser, h: Hotline):  # noqa: F811
    """Two admins see one checklist, one set of statements and one dark-site state, without a reload;
    a draft being typed is not lost to a refresh."""
    incident_id = cyber_report(h, "+886955009901")
    alice = client_for(h, "alice")
    alice.post(f"/console/incidents/{incident_id}/crisis/activate", data={"csrf_token": alice.csrf})
    ctx = context_for(browser, h, viewport={"width": 390, "height": 844})
    try:
        bob = login(ctx, "bob")
        bob.goto(f"/console/incidents/{incident_id}")
        bob.evaluate("window.__stayed = true")
        bob.fill("textarea[name='body_en-US']", "Bob's words, typed before the refresh")
        bob.locator("#crisis h2").click()  # the finger leaves the box: a refresh may come now
        with h.session() as s:
            crisis = commands.crisis_for(s, incident_id)
            assert crisis is not None
            crisis_id, step_id = crisis.id, crisis.steps[0].id
        alice.post(f"/console/incidents/{incident_id}/crisis/steps/{step_id}",
                   data={"csrf_token": alice.csrf, "done": "1"})
        bob.locator(f"#crisis-checklist tr[data-step='{step_id}']", has_text="alice").wait_for()
        alice.post(f"/console/incidents/{incident_id}/crisis/{crisis_id}/statements",
                   data={"csrf_token": alice.csrf, "body_en-US": "Alice's statement."})
        bob.locator("article.statement", has_text="Alice's statement.").wait_for()
        bob.locator("article.statement .approve-form").wait_for()  # bob may approve alice's draft
        alice.post(f"/console/incidents/{incident_id}/crisis/{crisis_id}/dark-site",
                   data={"csrf_token": alice.csrf, "on": "1"})
        bob.locator("#dark-site-form", has_text="The dark site is on.").wait_for()
        assert bob.evaluate("window.__stayed") is True  # all of it by the live refresh
        assert bob.input_value("textarea[name='body_en-US']") == "Bob's words, typed before the refresh"
    finally:
        ctx.close()
