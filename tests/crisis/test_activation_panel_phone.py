"""The crisis activation panel on a phone (390 px), in both languages: the verdict buttons of a
report not yet verified (Activate, False alarm) and of a drill's report (in drill mode) never make
the page scroll sideways, and each asks first in the confirmation dialog that says what will
happen: Cancel changes nothing, Yes does it; the false alarm asks for its note in the dialog."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page
from sqlalchemy import select

from hotline.base.jobs import run
from hotline.base.lifecycle import Actor, Channel
from hotline.base.models import Incident
from hotline.crisis import commands
from hotline.paging import commands as paging
from tests.support.crisis import client_for, make_hotline
from tests.support.crisis_browser import browser, context_for, login  # noqa: F401  (fixture)
from tests.support.lanes import starts_processes
from tests.support.sandbox import Hotline

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
@starts_processes
def h(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hotline]:
    yield from make_hotline(request, tmp_path_factory, "sqlite")


def report(h: Hotline, caller: str) -> int:
    """A cyber-security report (menu 2, no danger): its plan is not activated yet."""
    return h.reported("22", caller)


def verdict(h: Hotline, incident_id: int) -> str | None:
    with h.session() as s:
        found = commands.crisis_for(s, incident_id)
        return found.state if found else None


def fits(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def ask(page: Page, button: str) -> str:
    """Press a panel button: the dialog opens and says what will happen."""
    page.locator(button).click()
    page.locator("dialog#confirm[open]").wait_for()
    fits(page)
    return page.locator("#confirm-text").inner_text()


@pytest.mark.parametrize("lang", ["en-US", "zh-TW"])
def test_the_activation_panel_fits_a_phone_and_every_verdict_asks_first(browser: Browser, h: Hotline,  # noqa: F811
                                                                          lang: str):
    for person in h.config.people.values():
        h.sim.phone(person.phone).manual()
    real, other = report(h, "+886955007101" if lang == "en-US" else "+886955007201"), \
        report(h, "+886955007102" if lang == "en-US" else "+886955007202")
    ctx = context_for(browser, h, viewport={"width": 390, "height": 844})
    ctx.add_cookies([{"name": "console_lang", "value": lang, "url": h.public_url}])
    try:
        page = login(ctx, "alice")
        page.goto(f"/console/incidents/{real}#crisis")
        page.locator("#crisis-activate-form button").wait_for()
        fits(page)
        question = ask(page, "#crisis-activate-form button")
        assert ("Activate the crisis plan" in question) if lang == "en-US" else ("危機應變計畫" in question)
        page.click("#confirm-cancel")  # Cancel: nothing happens
        page.locator("dialog#confirm[open]").wait_for(state="detached")
        assert verdict(h, real) is None
        ask(page, "#crisis-activate-form button")
        page.click("#confirm-ok")
        page.locator("#crisis-verdict").wait_for()
        assert verdict(h, real) == "active"
        fits(page)

        page.goto(f"/console/incidents/{other}#crisis")
        ask(page, "#crisis-false-alarm-form button")
        assert page.locator("#confirm-ask").is_visible()  # the note is asked in the dialog
        page.fill("#confirm-input", "a test call from IT")
        page.click("#confirm-ok")
        page.locator("#crisis-verdict").wait_for()
        assert verdict(h, other) == "false_alarm"
        fits(page)
    finally:
        ctx.close()


def test_a_drill_reports_panel_fits_a_phone_and_says_it_is_a_drill(browser: Browser, h: Hotline):  # noqa: F811
    with h.session() as s:  # a drill waits while a real report is open (the tests above leave some)
        open_ = list(s.scalars(select(Incident.id).where(Incident.drill.is_(False), Incident.status != "closed")))
    for incident in open_:
        assert run(paging.resolve, incident, Actor("alice", Channel.CONSOLE), "test over").ok
    alice = client_for(h, "alice")
    r = alice.post("/console/drills", data={"kind": "tabletop", "type": "cyber_security", "participants": ["wang"],
                                            "text": "Ransomware on the mail server", "whole_plan": "1", "start": "1",
                                            "csrf_token": alice.csrf})
    drill_id = int(r.headers["Location"].rsplit("/", 1)[-1])
    with h.session() as s:
        incident_id = s.query(Incident.id).filter_by(drill_id=drill_id).scalar()
    assert incident_id is not None
    ctx = context_for(browser, h, viewport={"width": 390, "height": 844})
    try:
        page = login(ctx, "alice")
        page.goto(f"/console/incidents/{incident_id}#crisis")
        assert page.locator("#drill-banner").is_visible() and page.locator("#crisis-drill-mode").is_visible()
        fits(page)
        question = ask(page, "#crisis-activate-form button")
        assert "drill report" in question and "Only the drill" in question
        page.click("#confirm-ok")
        page.locator("#drill-preview-link").wait_for()
        fits(page)
        page.click("#drill-preview-link")
        page.locator("#preview").wait_for()
        assert page.locator("#drill-banner").is_visible()
        fits(page)
    finally:
        ctx.close()
    alice.post(f"/console/drills/{drill_id}/finish", data={"csrf_token": alice.csrf})
