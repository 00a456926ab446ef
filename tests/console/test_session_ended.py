"""An action sent after the session ended (issue #25): never Werkzeug's raw "Unauthorized", but
the console's own page in the viewer's language saying nothing was done, with the login form;
after logging in, the user is back on the page with the typed reason kept in the dialog, and
a typed note back in its box. In Chromium at 390 px, in both languages."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.base import jobs
from hotline.base.lifecycle import Actor, Channel
from hotline.base.models import Incident
from hotline.paging import commands
from tests.support.console import ADMIN, ADMIN_PW, login, reputation_report, shot
from tests.support.sandbox import Hotline

ENDED = {"en-US": "Your session has ended", "zh-TW": "您的登入已逾時"}


@pytest.mark.parametrize("lang", ["en-US", "zh-TW"])
def test_an_action_after_the_session_ended_keeps_what_was_typed(context, hotline: Hotline, speech_wav: Path,
                                                                lang: str):
    incident_id = reputation_report(hotline, speech_wav, f"+88695500{5 if lang == 'en-US' else 6}501")
    context.add_cookies([{"name": "console_lang", "value": lang, "url": hotline.public_url}])
    page = login(context.new_page())
    page.wait_for_url("**/console/incidents")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/console/incidents/{incident_id}")
    page.fill("#note-form textarea[name=note]", "the caller rang back from a landline")
    context.clear_cookies()  # the session cookie is gone, as when it expires
    context.add_cookies([{"name": "console_lang", "value": lang, "url": hotline.public_url}])
    page.click("#stop-form button")
    page.locator("dialog#confirm[open]").wait_for()
    page.fill("#confirm-input", "handled by phone")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.click("#confirm-ok")
    assert answer.value.status == 401
    page.locator("#session-ended").wait_for()
    text = page.locator("main").inner_text()
    assert ENDED[lang] in text and "Unauthorized" not in page.content()
    assert "handled by phone" in text  # the user sees that it is kept
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, f"session-ended-390-{lang}")
    with hotline.session() as s:
        assert s.get(Incident, incident_id).status != "stopped"  # nothing was done

    page.fill("input[name=user]", ADMIN)
    page.fill("input[name=password]", ADMIN_PW)
    page.click("form.login button[type=submit]")
    page.wait_for_url(f"**/console/incidents/{incident_id}")
    page.locator(".flash.error").wait_for()
    page.click("#stop-form button")
    page.locator("dialog#confirm[open]").wait_for()
    assert page.input_value("#confirm-input") == "handled by phone"
    page.click("#confirm-ok")
    page.locator("#now-text.stopped-by").wait_for()
    with hotline.session() as s:
        assert s.get(Incident, incident_id).paging_stopped_reason.endswith("handled by phone")

    # A note typed in its box comes back into the box.
    context.clear_cookies()
    context.add_cookies([{"name": "console_lang", "value": lang, "url": hotline.public_url}])
    page.fill("#note-form textarea[name=note]", "the caller rang back from a landline")
    page.click("#note-form button")
    page.locator("#session-ended").wait_for()
    page.fill("input[name=user]", ADMIN)
    page.fill("input[name=password]", ADMIN_PW)
    page.click("form.login button[type=submit]")
    page.wait_for_url(f"**/console/incidents/{incident_id}")
    assert page.input_value("#note-form textarea[name=note]") == "the caller rang back from a landline"
    jobs.run(commands.resolve, incident_id, Actor("test", Channel.CLI), "end of test")
