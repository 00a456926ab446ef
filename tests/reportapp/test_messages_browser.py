"""Two-way messages in Chromium at 390 px: a report from the app; the admin writes to the reporter
from the incident page (asked first, in the page's dialog); the message appears in the app, which
polls; the reporter's reply appears on the incident page's live panel and on its timeline."""

from __future__ import annotations

from playwright.sync_api import Browser, expect
from sqlalchemy import select

from hotline.base.models import Incident
from tests.support.console import confirm
from tests.support.crisis_browser import context_for, login
from tests.support.reportapp import fits_390, phone
from tests.support.sandbox import Hotline


def test_the_admin_and_the_reporter_write_to_each_other(browser: Browser, h: Hotline):
    page = phone(browser, h)
    page.locator("#types button").first.click()
    sent = page.locator("#reports li[data-state=sent]").first
    expect(sent).to_be_visible()
    ref, client_id = str(sent.get_attribute("data-ref")), sent.get_attribute("data-client-id")
    with h.session() as s:
        incident_id = s.scalar(select(Incident.id).where(Incident.ref == ref))
    assert incident_id is not None

    admin = login(context_for(browser, h, viewport={"width": 390, "height": 844}), "alice")
    admin.goto(f"/console/incidents/{incident_id}")
    admin.click("#app-reporter-form button[type=submit]")
    question = confirm(admin, "Are you safe? Stay in the stairwell.")
    assert ref in question
    expect(admin.locator("#app-messages li.text-out")).to_contain_text("Are you safe? Stay in the stairwell.")
    assert fits_390(admin)

    thread = page.locator(f'[data-thread="{client_id}"]')
    expect(thread.locator("li[data-from=hotline]")).to_contain_text("Are you safe? Stay in the stairwell.")
    thread.locator("input[name=body]").fill("Yes, two of us, both fine")
    thread.locator("button[type=submit]").click()
    expect(thread.locator("li[data-from=reporter]")).to_contain_text("Yes, two of us, both fine")
    assert fits_390(page)

    # The incident page is not reloaded: the reply comes with its live region.
    expect(admin.locator("#app-messages li.text-in")).to_contain_text("Yes, two of us, both fine")
    expect(admin.locator("#app-messages li.text-in")).to_contain_text("Chen Wei")
    admin.reload()
    timeline = admin.locator("body").inner_text()
    assert "Chen Wei replied in the app: Yes, two of us, both fine" in timeline
    assert "wrote to the reporter in the app: Are you safe? Stay in the stairwell." in timeline
    assert len(h.audit(incident_id, "app.reply")) == 1
    page.context.close()
    admin.context.close()
