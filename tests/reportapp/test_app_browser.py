"""The reporting app in Chromium at 390 px: an admin makes an enrolment link (with its QR code)
in the console, the phone enrols by opening it, and reports with one touch: online; offline
(kept on the phone as "waiting to send", sent when the connection returns, one incident); with
the location granted (shown on the incident page with a geo: link and the nearest site, and the
list filters by site) and refused (the report goes without it); and once revoked, the phone
says it is no longer enrolled."""

from __future__ import annotations

import time

from playwright.sync_api import Browser, Page, expect
from sqlalchemy import func, select

from hotline.base.models import Incident
from tests.support.crisis_browser import context_for, login, press
from tests.support.reportapp import NEAR_HQ, app_incidents, fits_390, phone
from tests.support.sandbox import Hotline


def _incident(h: Hotline, ref: str) -> Incident:
    with h.session() as s:
        row = s.scalar(select(Incident).where(Incident.ref == ref))
        assert row is not None
        s.expunge(row)
        return row


def _report(page: Page, nth: int = 0) -> str:
    """Press a type's button; the reference the phone shows once the hotline has the report."""
    before = page.locator("#reports li[data-state=sent]").count()
    page.locator("#types button").nth(nth).click()
    expect(page.locator("#reports li[data-state=sent]")).to_have_count(before + 1)
    return str(page.locator("#reports li[data-state=sent]").first.get_attribute("data-ref"))


def test_an_admin_enrols_a_phone_that_reports_with_one_touch(browser: Browser, h: Hotline):
    admin = login(context_for(browser, h, viewport={"width": 390, "height": 844}), "alice")
    admin.goto("/console/devices")
    admin.select_option("select[name=person]", "chen")
    press(admin, "#issue-form button[type=submit]")
    admin.wait_for_selector("#enrol-link svg")  # the QR code, inline
    assert fits_390(admin)
    link = str(admin.locator("#enrol-url").get_attribute("href"))
    assert "/app/enrol/" in link

    ctx = browser.new_context(base_url=h.public_url, locale="en-US", viewport={"width": 390, "height": 844})
    ctx.set_default_timeout(20_000)
    page = ctx.new_page()
    page.goto(link)
    page.click("#enrol")
    page.wait_for_selector("#types button")
    assert page.locator("#types button").count() >= 3 and fits_390(page)
    assert page.locator("#person").inner_text() == "Chen Wei"
    page.fill("#note", "forklift tipped over")
    ref = _report(page)
    incident = _incident(h, ref)
    assert incident.source == "app" and incident.callback_number == "+886912000001"
    assert any("forklift tipped over" in (e.detail.get("text") or "") for e in h.audit(incident.id, "note"))

    admin.goto("/console/devices")
    assert admin.locator("#devices tr[data-state=enrolled]").count() >= 1
    press(admin, "#devices tr[data-state=enrolled] .revoke-form button")
    admin.wait_for_selector("text=Device revoked")
    page.reload()
    expect(page.locator("#refused")).to_be_visible()
    assert "no longer enrolled" in page.locator("#refused").inner_text()
    ctx.close()


def test_a_report_made_offline_is_sent_when_the_connection_returns(browser: Browser, h: Hotline):
    page = phone(browser, h)
    before = app_incidents(h)
    page.context.set_offline(True)
    page.locator("#types button").first.click()
    waiting = page.locator("#reports li[data-state=waiting]")
    expect(waiting).to_have_count(1)
    assert "Waiting to send" in waiting.inner_text()
    page.reload()  # the app opens from its service worker's cache with no signal; the report waits
    expect(page.locator("#reports li[data-state=waiting]")).to_have_count(1)
    assert app_incidents(h) == before

    page.context.set_offline(False)
    back = time.monotonic()
    h.wait_for(lambda: app_incidents(h) > before or None, timeout=30, what="the offline report")
    took = time.monotonic() - back
    expect(page.locator("#reports li[data-state=sent]")).to_have_count(1)
    expect(page.locator("#reports li[data-state=waiting]")).to_have_count(0)
    print(f"offline report reached the server {took:.2f} s after the connection returned")
    page.reload()  # nothing left to send twice
    page.wait_for_selector("body[data-ready=yes]")
    assert app_incidents(h) == before + 1
    page.context.close()


def test_the_location_granted_shows_on_the_incident_and_its_site(browser: Browser, h: Hotline):
    page = phone(browser, h, permissions=["geolocation"],
                 geolocation={"latitude": NEAR_HQ[0], "longitude": NEAR_HQ[1], "accuracy": 20})
    page.check("#share-location")
    ref = _report(page)
    incident = _incident(h, ref)
    assert incident.site == "101"

    admin = login(context_for(browser, h, viewport={"width": 390, "height": 844}), "alice")
    admin.goto(f"/console/incidents/{incident.id}")
    geo = admin.locator("#geo-link")
    assert str(geo.get_attribute("href")).startswith(f"geo:{NEAR_HQ[0]:.6f},{NEAR_HQ[1]:.6f};u=20")
    location = admin.locator("#app-location").inner_text()
    assert "Nearest site: Taipei headquarters" in location and "within 20 m" in location
    assert fits_390(admin)
    admin.goto("/console/incidents?site=101")
    expect(admin.locator(f"text={ref}").first).to_be_visible()
    admin.goto("/console/incidents?site=201")
    assert admin.locator(f"text={ref}").count() == 0
    page.context.close()
    admin.context.close()


def test_the_location_refused_the_report_goes_without_it(browser: Browser, h: Hotline):
    page = phone(browser, h)  # no permission granted: the browser refuses the location
    page.check("#share-location")
    ref = _report(page)
    expect(page.locator("#location")).to_contain_text("Location not available")
    incident = _incident(h, ref)
    assert incident.site is None
    with h.session() as s:
        from hotline.reportapp.models import AppReport
        assert s.scalar(select(func.count()).select_from(AppReport).where(
            AppReport.incident_id == incident.id, AppReport.lat.is_(None))) == 1
    page.context.close()
