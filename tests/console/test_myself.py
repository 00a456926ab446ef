"""A console login linked to a `[people]` key is that person (issue #25): in Chromium, its
**Accept (myself)** on the list and on the incident page takes the incident as theirs through the
lifecycle (the timeline names the login that pressed it), **My incidents** lists what they accepted,
and the rota page opens with their on-call shifts. A login linked to nobody sees none of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.base.models import Incident
from tests.support.console import ADMIN, ADMIN_PW, LINKED, LINKED_PW, confirm, login, report, shot
from tests.support.sandbox import Hotline

ASKS = {"en-US": "yourself", "zh-TW": "由您本人"}
DONE = {"en-US": "You accepted it.", "zh-TW": "您已受理。"}


def _as(context, hotline: Hotline, lang: str, width: int, user: str = LINKED, password: str = LINKED_PW):
    context.add_cookies([{"name": "console_lang", "value": lang, "url": hotline.public_url}])
    page = login(context.new_page(), user, password)
    page.wait_for_url("**/console/incidents")
    page.set_viewport_size({"width": width, "height": 844})
    return page


def _accepted_by(hotline: Hotline, incident_id: int) -> str | None:
    with hotline.session() as s:
        incident = s.get(Incident, incident_id)
        return incident.accepted_by if incident else None


@pytest.mark.parametrize(("width", "lang", "digit"), [(390, "en-US", "2"), (1280, "zh-TW", "3")])
def test_accept_myself_from_the_list_then_my_incidents(context, hotline: Hotline, speech_wav: Path,
                                                       width: int, lang: str, digit: str):
    incident_id = report(hotline, speech_wav, digit, f"+8869550{width:04d}2")
    page = _as(context, hotline, lang, width)
    page.goto("/console/incidents")
    row = page.locator(f'#incidents tr[data-incident="{incident_id}"]')
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    ref = row.locator("a[id^=inc-]").inner_text()
    row.locator("form[data-action=accept-mine] button").click()
    question = confirm(page)
    assert ASKS[lang] in question and ref in question, question
    page.wait_for_url("**/console/incidents*")
    assert DONE[lang] in page.locator(".flash.ok").inner_text()
    assert _accepted_by(hotline, incident_id) == "lin"  # the login's person, through the lifecycle
    moved = [e for e in hotline.audit(incident_id) if (e.detail or {}).get("person") == "lin"]
    assert moved and moved[0].actor == LINKED, [(e.kind, e.actor, e.detail) for e in hotline.audit(incident_id)]

    page.click("#mine-toggle")
    page.wait_for_url("**mine=1*")
    shown = page.locator("#incidents tr[data-incident]").evaluate_all(
        "rows => rows.map(r => Number(r.dataset.incident))")
    assert incident_id in shown
    assert all(_accepted_by(hotline, i) == "lin" for i in shown), shown
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    shot(page, f"my-incidents-{width}-{lang}")


@pytest.mark.parametrize(("width", "lang"), [(390, "zh-TW"), (1280, "en-US")])
def test_accept_myself_on_the_incident_page(context, hotline: Hotline, speech_wav: Path, width: int, lang: str):
    incident_id = report(hotline, speech_wav, "7" if width == 390 else "4", f"+8869550{width:04d}3")
    page = _as(context, hotline, lang, width)
    page.goto(f"/console/incidents/{incident_id}")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.click("#accept-mine-form button")
    assert ASKS[lang] in confirm(page, navigates=True)
    assert DONE[lang] in page.locator(".flash.ok").inner_text()
    assert "Lin Mei" in page.locator("#accepted-by").inner_text()
    assert _accepted_by(hotline, incident_id) == "lin"
    assert page.locator("#accept-mine-form").count() == 0  # accepted: nothing more to accept
    shot(page, f"accept-myself-{width}-{lang}")


@pytest.mark.parametrize("width", [390, 1280])
def test_my_on_call_shifts_on_the_rota_page(context, hotline: Hotline, width: int):
    page = _as(context, hotline, "en-US", width)
    page.goto("/console/rota")
    mine = page.locator("#my-shifts")
    assert "Lin Mei" in mine.inner_text()
    pr = mine.locator('li[data-rota="pr"]')  # Lin Mei is the PR rota's only member: on call now
    assert pr.count() == 1 and "on call now" in pr.inner_text()
    assert mine.locator('li[data-rota="it_security"]').count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    shot(page, f"my-shifts-{width}")


def test_a_login_linked_to_nobody_has_no_myself(context, hotline: Hotline, speech_wav: Path):
    incident_id = report(hotline, speech_wav, "5", "+886955040001")
    page = _as(context, hotline, "en-US", 1280, ADMIN, ADMIN_PW)
    page.goto("/console/incidents")
    page.locator(f'#incidents tr[data-incident="{incident_id}"]').wait_for()
    assert page.locator("form[data-action=accept-mine], #mine-toggle").count() == 0
    page.goto(f"/console/incidents/{incident_id}")
    assert page.locator("#accept-mine-form").count() == 0
    page.goto("/console/rota")
    assert page.locator("#my-shifts").count() == 0
