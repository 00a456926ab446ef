"""Two-way messages in Chromium at 390 px: a report from the app; the admin writes to the reporter
from the incident page (asked first, in the page's dialog); the message appears in the app, which
polls; the reporter's reply appears on the incident page's live panel and on its timeline. And a
report's voice memo plays on the incident page."""

from __future__ import annotations

import base64
import uuid

from playwright.sync_api import Browser, expect
from sqlalchemy import select

from hotline.base.models import Incident
from tests.support.console import confirm
from tests.support.crisis_browser import context_for, login
from tests.support.reportapp import app_report, enrol, fits_390, phone, send
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


def test_the_voice_memo_plays_in_the_console(browser: Browser, h: Hotline):
    sound = b"\x1aE\xdf\xa3" + bytes(range(256)) * 4
    token, client_id = enrol(h), uuid.uuid4().hex
    memo = f"data:audio/webm;base64,{base64.b64encode(sound).decode()}"
    assert send(h, token, client_id, memo=memo).status_code == 201
    row = app_report(h, client_id)
    assert row is not None
    admin = login(context_for(browser, h, viewport={"width": 390, "height": 844}), "alice")
    admin.goto(f"/console/incidents/{row['incident_id']}")
    audio = admin.locator("#app-memo")
    expect(audio).to_be_attached()
    got = admin.request.get(str(audio.get_attribute("src")))
    assert got.status == 200 and got.body() == sound and got.headers["content-type"] == "audio/webm"
    assert "The reporter's voice memo was stored" in admin.locator("body").inner_text()
    assert fits_390(admin)
    admin.context.close()
