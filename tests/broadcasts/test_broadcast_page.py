"""The broadcast page in Chromium at phone width (390 px): Alice writes a broadcast that asks
"are you safe?", Bob approves it (two-person rule), and the tallies per group and site, the
"needs help" list and the "not answered" count follow the answers live, without a reload."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from hotline.base.config import ROOT
from tests.support.broadcasts import group, people, text_in
from tests.support.crisis_browser import context_for
from tests.support.crisis_browser import login as login_as
from tests.support.sandbox import Hotline

ARTIFACTS = ROOT / "artifacts" / "broadcasts"
STAFF = "name,phone,email,department,site,language\n" + "\n".join(
    f"{name},+8869125000{i:02d},,{dept},{site},en-US" for i, (name, dept, site) in enumerate([
        ("Ada Lin", "Ops", "Taipei"), ("Ben Hsu", "Ops", "Taipei"), ("Cleo Wang", "HR", "Taipei"),
        ("Dan Kao", "Ops", "Hsinchu"), ("Eve Chou", "HR", "Hsinchu"), ("Finn Lu", "Ops", "Hsinchu")])) + "\n"


def login(browser: Browser, h: Hotline, user: str) -> Page:
    return login_as(context_for(browser, h, viewport={"width": 390, "height": 844}), user)


def cell(page: Page, row: str, answer: str) -> str:
    return page.locator(f'#tally-groups tr[data-row="{row}"] td[data-answer="{answer}"]').inner_text()


def test_tallies_follow_the_answers_live_at_390px(browser: Browser, h: Hotline):
    people(h, STAFF)
    group(h, "everyone", "site = *")
    group(h, "ops", "department = Ops")
    alice, bob = login(browser, h, "alice"), login(browser, h, "bob")

    alice.goto("/console/broadcasts")
    alice.fill("input[name=title]", "Fire drill at Taipei")
    alice.fill("textarea[name='body_en-US']", "Fire in building A: leave by the east stairs.")
    alice.check("input[name=groups][value=everyone]")
    alice.check("input[name=groups][value=ops]")
    alice.uncheck("input[name=channels][value=email]")
    alice.uncheck("input[name=channels][value=push]")
    alice.check("input[name=question]")
    alice.click("#new-broadcast button[type=submit]")
    alice.wait_for_selector("text=Broadcast drafted: a second person must approve it.")
    alice.click(".approve-form button")
    alice.wait_for_selector("text=You drafted this broadcast: a second person must approve it.")
    bob.goto(alice.url)
    bob.click(".approve-form button")
    bob.wait_for_selector("text=Broadcast approved: sending.")
    h.wait_for(lambda: all(h.sim.phone(f"+8869125000{i:02d}").messages for i in range(6)), what="six texts")

    assert cell(alice, "Everyone", "1") == "0"
    assert text_in(h, "+886912500000", "1") and text_in(h, "+886912500003", "safe")
    expect(alice.locator('#tally-groups tr[data-row="Everyone"] td[data-answer="1"]')).to_have_text(
        "2", timeout=20_000)  # no reload: live.js
    assert cell(alice, "ops", "1") == "2" and cell(alice, "Hsinchu", "1") == "1" and cell(alice, "Taipei", "1") == "1"
    assert text_in(h, "+886912500004", "2")
    alice.locator("#needs-help li", has_text="Eve Chou").wait_for()
    assert "report 10" in alice.locator("#needs-help").inner_text()
    assert "(3)" in alice.locator("#not-answered h2").inner_text()

    widths = [box["width"] for box in (el.bounding_box() for el in alice.locator("main *").all()) if box]
    assert max(widths) <= 390, widths
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    alice.screenshot(path=str(ARTIFACTS / "broadcast-390.png"), full_page=True)
