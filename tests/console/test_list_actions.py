"""The list in a crisis, in Chromium: a new report announces itself (title count, aria-live,
notification) and waits behind a "1 new report — show" bar; its row says who is being called,
and an admin stops paging, pages again, accepts for the person ringing and closes it from the
list, each after a confirmation that says what will happen. The list keeps refreshing while a
link in it has keyboard focus."""

from __future__ import annotations

import re
from pathlib import Path

from hotline.base import jobs
from hotline.base.lifecycle import Actor, Channel
from hotline.base.models import Incident
from hotline.paging import commands
from tests.support.console import LIN, confirm, login, reputation_report, shot
from tests.support.sandbox import Hotline

NOTIFY_STUB = """window.__notified = [];
window.Notification = class { constructor(text) { window.__notified.push(text); } };
window.Notification.permission = "granted";
window.Notification.requestPermission = () => Promise.resolve("granted");"""




def wait_text(page, selector: str, text: str) -> None:
    page.locator(selector, has_text=text).wait_for()


def test_list_announces_then_acts_with_confirmations(context, hotline: Hotline, speech_wav: Path):
    context.add_init_script(NOTIFY_STUB)
    page = login(context.new_page())
    page.wait_for_url("**/console/incidents")
    page.evaluate("window.__stayed = true")
    incident_id = reputation_report(hotline, speech_wav, "+886955000321")
    lin = hotline.sim.phone(LIN)
    ringing = lin.expect_call(timeout=20)
    ringing.expect_status("ringing")
    row = f'#incidents tr[data-incident="{incident_id}"]'
    page.click("#fresh.on")  # a new report waits behind the bar, so nothing moves under a finger
    wait_text(page, f"{row} .now-text", "Calling Lin Mei now (round 1), ringing since")
    ref = page.locator(f"{row} a[id^=inc-]").inner_text()
    assert page.evaluate("window.__stayed") is True  # it came by polling
    assert page.title().startswith("(1) Incidents")
    assert f"New report: {ref}, reputation" in page.locator("#announce").inner_text()
    assert page.evaluate("window.__notified") == [f"New report: {ref}, reputation"]
    assert page.locator(f"{row}").get_attribute("data-band") == "0"
    shot(page, "list-paging")

    page.click(f'{row} form[data-action=stop] button')
    assert confirm(page, "handled by phone") == f"Stop calling Lin Mei and everyone after them for {ref}?"
    wait_text(page, ".flash.ok", "Paging stopped")
    page.wait_for_url("**/console/incidents")  # back on the list, not the incident page
    wait_text(page, f"{row} .now-text", "Paging stopped by alice at")
    assert page.locator(row).get_attribute("data-band") == "1"
    assert page.locator(f'{row} form[data-action=stop]').count() == 0
    ringing.expect_hangup(timeout=20)
    assert page.title() == "(1) Incidents · Example Org" or page.title().startswith("(1) ")

    # Keyboard focus on the row's link does not stop the refresh, and the change is announced.
    page.focus(f"#inc-{incident_id}")
    page.evaluate("window.__stayed = true")
    jobs.run(commands.page_again, incident_id, Actor("bob", Channel.CLI))
    again = lin.expect_call(timeout=20)
    wait_text(page, f"{row} .now-text", "Lin Mei")
    assert page.evaluate("document.activeElement.id") == f"inc-{incident_id}"
    assert page.locator(row).get_attribute("data-band") == "0"
    assert f"{ref}:" in page.locator("#announce").inner_text()
    assert page.evaluate("window.__notified") == []  # paged again, but not a new report

    again.expect_status("ringing")
    accept = page.locator(f'{row} form[data-action=accept] button')
    accept.wait_for()
    assert accept.inner_text() == "Accept for Lin Mei"
    accept.click()
    assert confirm(page) == f"Accept {ref} on behalf of Lin Mei? Calls to everyone else stop."
    wait_text(page, f"{row} .now-text", "Accepted by Lin Mei at")
    again.expect_hangup(timeout=20)
    assert not page.title().startswith("(")
    sms = lin.expect_sms(f"/console/incidents/{incident_id}", timeout=20)  # the acceptor's SMS links the page
    link = re.search(r"https?://\S+", sms["body"]).group(0)
    phone = context.browser.new_context(base_url=hotline.public_url, viewport={"width": 390, "height": 844},
                                        locale="en-US", extra_http_headers={"Accept-Language": "en-US"})
    opened = phone.new_page()
    opened.goto(link)
    opened.wait_for_url("**/console/login**")  # a responder logs in first, then lands on the incident
    opened.fill("input[name=user]", "alice")
    opened.fill("input[name=password]", "correct horse battery")
    opened.click("form.login button[type=submit]")
    opened.wait_for_url(f"**/console/incidents/{incident_id}")
    assert "Accepted by Lin Mei" in opened.locator("#now-text").inner_text()
    shot(opened, "incident-from-sms-390")
    phone.close()

    page.click(f'{row} form[data-action=close] button')
    question = confirm(page, "resolved from the list")
    assert question.startswith(f"Close {ref}?")
    closed = page.locator(f'#closed tr[data-incident="{incident_id}"]')
    closed.wait_for()  # nothing is open, so the closed rows are shown
    shot(page, "list-closed")
    notes = [e.detail["text"] for e in hotline.audit(incident_id, "note")]
    assert notes == ["resolved from the list"]
    stops = hotline.audit(incident_id, "callout.cancelled")
    assert stops and stops[0].actor == "alice" and stops[0].detail["reason"].endswith("handled by phone")


def test_cancelling_the_dialog_does_nothing(context, hotline: Hotline, speech_wav: Path):
    page = login(context.new_page())
    incident_id = reputation_report(hotline, speech_wav, "+886955000322")
    page.goto(f"/console/incidents/{incident_id}")
    page.click("#stop-form button")
    page.locator("dialog#confirm[open]").wait_for()
    page.click("#confirm-cancel")
    page.wait_for_timeout(300)
    with hotline.session() as s:
        assert s.get(Incident, incident_id).status in ("new", "recorded", "paging")
    jobs.run(commands.stop_paging, incident_id, Actor("test", Channel.CLI), "end of test")
    page.goto("/console/incidents")  # one open row and the closed one of the test before
    page.locator(f'#incidents tr[data-incident="{incident_id}"]').wait_for()
    closed = page.locator("#closed tr[data-incident]")
    assert closed.count() == 1 and not closed.is_visible()  # collapsed under the open one
    page.click("#closed summary")
    assert closed.is_visible()
