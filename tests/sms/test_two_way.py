"""Two-way messages on a report made by text, in Chromium at 390 px, in English and Chinese: the
acceptor's admin writes to the reporter from the incident page (after the confirmation dialog),
the reporter reads it in their language from the hotline number, the message and the reporter's
answer appear on the timeline and in the page's text panel as they come; refused before an
accept, after STOP (saying so on the timeline) and for a viewer."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, Page
from sqlalchemy import select

from hotline.base.jobs import run
from hotline.base.lifecycle import Actor, Channel
from hotline.base.models import Incident
from hotline.paging import commands
from hotline.textreports.models import TextConversation
from tests.support.console import (  # noqa: F401  (fixtures)
    VIEWER,
    VIEWER_PW,
    browser,
    confirm,
    context,
    hotline,
    logged_in_client,
    login,
    mic_wav,
    shot,
)
from tests.support.sandbox import HOTLINE, Hotline


def reported(h: Hotline, sender: str, body: str, accept: bool = True) -> Incident:
    h.sim.phone(sender).text(HOTLINE, body)
    with h.session() as s:
        incident_id = s.scalar(select(TextConversation.incident_id).where(TextConversation.sender == sender)
                               .order_by(TextConversation.id.desc()).limit(1))
    if accept:
        assert run(commands.accept, person="lin", name="Lin Mei", actor=Actor("alice", Channel.CONSOLE),
                   incident_id=incident_id).ok
    with h.session() as s:
        incident = s.get(Incident, incident_id)
        assert incident is not None
        return incident


def texts_to(h: Hotline, phone: str, words: str) -> list[str]:
    return [m["body"] for m in h.sim.phone(phone).messages if words in m["body"]]


def message_from_the_page(page: Page, h: Hotline, incident: Incident, words: str) -> str:
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/console/incidents/{incident.id}")
    page.click("#text-reporter-form button[type=submit]")
    return confirm(page, words)


@pytest.mark.parametrize("lang", ["en-US", "zh-TW"])
def test_the_acceptor_texts_the_reporter_and_the_answer_comes_back(browser, hotline: Hotline, lang: str):  # noqa: F811
    sender, body, words, answer = {
        "en-US": ("+886933400001", "Someone collapsed in the lobby", "Stay with them; we are 5 minutes away.",
                  "OK, he is breathing"),
        "zh-TW": ("+886933400002", "大廳有人昏倒", "請陪著他，我們五分鐘後到。", "好，他有呼吸"),
    }[lang]
    incident = reported(hotline, sender, body)
    ctx: BrowserContext = browser.new_context(base_url=hotline.public_url, locale=lang, bypass_csp=True,
                                              extra_http_headers={"Accept-Language": f"{lang},en;q=0.5"})
    ctx.set_default_timeout(20_000)
    try:
        page = login(ctx.new_page())
        page.wait_for_url("**/console/incidents")
        question = message_from_the_page(page, hotline, incident, words)
        assert sender in question and (incident.ref or "") in question
        expected = (f"Hotline, about report {incident.ref}: {words}" if lang == "en-US"
                    else f"專線（通報 {incident.ref}）：{words}")
        hotline.wait_for(lambda: texts_to(hotline, sender, words) == [expected], what="the reporter's text")
        page.locator("#texts .text-out", has_text=words).wait_for()
        sent = "已傳簡訊給通報人。" if lang == "zh-TW" else "Texted to the reporter."
        assert page.locator("p.flash.ok").inner_text() == sent
        [row] = hotline.audit(incident.id, "text.message")
        assert row.actor == "alice" and row.detail["body"] == expected

        hotline.sim.phone(sender).text(HOTLINE, answer)  # the reporter answers: the same report
        page.locator("#texts .text-in", has_text=answer).wait_for()  # the live panel shows it
        assert any(answer in str(e.detail.get("text", "")) for e in hotline.audit(incident.id, "note"))
        with hotline.session() as s:
            assert len(list(s.scalars(select(TextConversation).where(TextConversation.sender == sender)))) == 1
        button = "傳訊息給通報人" if lang == "zh-TW" else "Message the reporter"
        assert page.locator("#text-reporter-form button").inner_text() == button
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        shot(page, f"text-reporter-{lang}")
    finally:
        ctx.close()


def test_refused_before_an_accept_after_stop_and_for_a_viewer(hotline: Hotline):  # noqa: F811
    client = logged_in_client(hotline)

    def send(incident: Incident, c=client) -> int:
        return c.post(f"/console/incidents/{incident.id}/text-reporter",
                      data={"body": "Are you safe?", "csrf_token": c.csrf}).status_code

    waiting = reported(hotline, "+886933400003", "Fire alarm on floor 2", accept=False)
    assert send(waiting) == 302 and not texts_to(hotline, "+886933400003", "Are you safe?")
    assert 'id="text-reporter-form"' not in client.get(f"/console/incidents/{waiting.id}").get_data(as_text=True)

    stopped = reported(hotline, "+886933400004", "Flooding in the car park")
    hotline.sim.phone("+886933400004").text(HOTLINE, "STOP")
    assert send(stopped) == 302 and not texts_to(hotline, "+886933400004", "Are you safe?")
    assert hotline.audit(stopped.id, "text.not_sent")

    viewer = logged_in_client(hotline, VIEWER, VIEWER_PW)
    accepted = reported(hotline, "+886933400005", "Lift stuck between floors")
    assert send(accepted, viewer) == 403 and not texts_to(hotline, "+886933400005", "Are you safe?")
    assert send(accepted) == 302 and texts_to(hotline, "+886933400005", "Are you safe?")
