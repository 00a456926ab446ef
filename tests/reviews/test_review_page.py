"""The review page in Chromium at 390 px: a closed incident's review started from its page with
the confirming dialog, its key times computed (a moment that never came shown as "—"), an action
item added and marked done (confirmed), readable in both languages without sideways scrolling;
and a due item's owner reminded by SMS through the provider (the sim), once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page

from hotline.base.config import ROOT
from hotline.base.models import utcnow
from tests.support.crisis import client_for, make_hotline
from tests.support.crisis_browser import browser, context_for, login, press  # noqa: F401  (fixture)
from tests.support.lanes import starts_processes
from tests.support.sandbox import Hotline

pytestmark = pytest.mark.slow
ARTIFACTS = ROOT / "artifacts" / "console" / "phone"


def serious(page: Page) -> list[str]:
    """What axe finds serious or critical on the page."""
    return [f"{v['id']}: {[n['target'] for n in v['nodes']][:3]}" for v in Axe().run(page).response["violations"]
            if v["impact"] in ("serious", "critical")]
CALLER = "+886955008001"
LIN = "+886912000002"


@pytest.fixture(scope="module")
@starts_processes
def h(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hotline]:
    yield from make_hotline(request, tmp_path_factory, "sqlite")


@pytest.fixture(scope="module")
def closed_incident(h: Hotline) -> int:
    """A report accepted on Lin's behalf, its crisis plan activated, then closed with a note."""
    for person in h.config.people.values():
        h.sim.phone(person.phone).manual()
    h.sim.phone(CALLER).manual()
    c = h.report("22", CALLER)
    incident_id = h.wait_for(lambda: h.incident_for(c.sid), what="incident").id
    alice = client_for(h, "alice")
    for path, data in (("accept", {"person": "lin"}), ("crisis/activate", {}), ("close", {"note": "handled"})):
        r = alice.post(f"/console/incidents/{incident_id}/{path}", data={"csrf_token": alice.csrf, **data})
        assert r.status_code == 302, (path, r.status_code)
    return incident_id


def test_review_started_read_and_followed_at_390px(browser: Browser, h: Hotline, closed_incident: int):  # noqa: F811
    ctx = context_for(browser, h, viewport={"width": 390, "height": 844})
    try:
        page = login(ctx, "alice")
        page.goto(f"/console/incidents/{closed_incident}")
        press(page, "#review-form button")
        page.wait_for_url("**/console/reviews/*")
        times = page.locator("#key-times")
        assert times.locator("tr[data-key=report] td.after").inner_text() == "0 s"
        assert times.locator("tr[data-key=accept] td.after").inner_text().endswith(" s")
        assert times.locator("tr[data-key=plan_activated] td.after").inner_text().endswith(" s")
        assert times.locator("tr[data-key=first_statement] td.after").inner_text() == "—"
        assert times.locator("tr[data-key=closed] td.after").inner_text().endswith(" s")
        assert "accepted" in page.locator("#review-people").inner_text()

        page.fill("#findings-form textarea", "Verification took too long.")
        page.click("#findings-form button")
        page.wait_for_selector("text=Findings saved.")
        today = utcnow().astimezone(ZoneInfo(h.config.timezone)).date()
        page.fill("#action-form input[name=text]", "Add a second PR responder at night")
        page.select_option("#action-form select[name=owner]", "lin")
        page.fill("#action-form input[name=due]", today.isoformat())
        page.click("#action-form button")
        row = page.locator("#action-list tr[data-action-id]")
        row.wait_for()
        assert "Lin Mei" in row.inner_text() and row.locator(".action-state").inner_text() == "open"
        assert page.evaluate("document.documentElement.scrollWidth") <= 390

        # Due today: the convergence cycle reminds Lin by SMS once, not again on its next pass.
        before = len([m for m in h.sim.messages if m.to == LIN])
        assert len(h.converge(utcnow())["review_reminders"]) == 1
        assert h.converge(utcnow() + timedelta(minutes=5))["review_reminders"] == []
        sms = [m for m in h.sim.messages if m.to == LIN][before:]
        assert len(sms) == 1 and "Add a second PR responder" in sms[0].body
        assert h.audit(closed_incident, "review.reminder_sent")

        page.goto("/console/reviews/")
        assert "Add a second PR responder at night" in page.locator("#open-actions").inner_text()
        page.click("#open-actions a")
        press(page, "#action-list form[data-action=action-done] button")
        page.wait_for_selector("#action-list .action-state:text('done')")
        page.goto("/console/reviews/")
        assert "No open action items." in page.locator("#open-actions").inner_text()

        ctx.add_cookies([{"name": "console_lang", "value": "zh-TW", "url": h.public_url}])
        page.goto("/console/reviews/")
        page.click("#review-list a")
        assert "關鍵時間" in page.locator("#key-times h2").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert serious(page) == []
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "review-390-zh-TW.png"), full_page=True)
        for export in ("#markdown", "#pdf"):
            with page.expect_download() as got:
                page.click(export)
            assert got.value.suggested_filename.startswith(f"review-{closed_incident}.")
        page.goto(page.url.split("#")[0] + "/print")
        assert "檢討發現" in page.inner_text("body") and "Verification took too long." in page.inner_text("body")
    finally:
        ctx.close()


def test_only_admins_start_a_review_and_only_of_a_closed_incident(h: Hotline, closed_incident: int):
    victor = client_for(h, "victor")
    assert victor.post(f"/console/incidents/{closed_incident}/review", data={"csrf_token": victor.csrf}
                       ).status_code == 403
    h.sim.phone("+886955008002").manual()
    c = h.report("22", "+886955008002")
    open_id = h.wait_for(lambda: h.incident_for(c.sid), what="incident").id
    alice = client_for(h, "alice")
    r = alice.post(f"/console/incidents/{open_id}/review", data={"csrf_token": alice.csrf}, follow_redirects=True)
    assert "An incident is reviewed once it is closed." in r.get_data(as_text=True)
    assert not h.audit(open_id, "review.started")
    page = alice.get(f"/console/incidents/{open_id}").get_data(as_text=True)
    assert "A review can be started once the incident is closed." in page and 'id="review-form"' not in page
