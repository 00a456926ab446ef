"""The list for the responder between rounds, and what a search for a reference finds (issue #25),
in Chromium at 390 and 1280 px in both languages:

- a paging row names the next call ("Next: Lin Mei at 14:32 if nobody answers", the callout's
  own `next_call`, as on the incident page), also while nobody has answered and the calls go
  round again; such a row offers Accept (for the person called next), confirmed in the dialog;
- "Escalate now" on the incident page while the callout waits between rounds starts the next
  round at once, and the timeline says so;
- an incident a monitoring event made shows the event's summary on its card, and is found by it;
- searching a reference ranks that report first, above a more urgent one whose caller number
  holds the same digits.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from hotline.base.models import Incident
from tests.support.console import confirm, login, reputation_report, shot
from tests.support.events import add_integration, post, trigger
from tests.support.sandbox import Hotline

SUMMARY = "Disk full on db-primary 磁碟已滿"
NEXT = {"en-US": "Next: Lin Mei at", "zh-TW": "下一位：若無人接聽"}
AGAIN = {"en-US": "Nobody has answered; the calls go round again", "zh-TW": None}
BEHALF = {"en-US": "on behalf of Lin Mei", "zh-TW": "Lin Mei"}


@pytest.fixture(scope="module")
def made(hotline: Hotline, speech_wav: Path) -> dict[str, int]:
    """Every phone busy. An event (a warning: watched, not paged) makes report E; then a reputation
    report from a number holding E's reference goes unanswered through its rounds and waits to go
    round again."""
    for person in hotline.config.people.values():
        hotline.sim.phone(person.phone).busy()
    key = add_integration(hotline, "grafana-disk").key
    assert post(hotline, trigger(key, dedup="disk-1", severity="warning", summary=SUMMARY)).status_code == 202
    event_id = hotline.wait_for(lambda: _newest(hotline), what="the event's incident")
    with hotline.session() as s:
        ref = s.get(Incident, event_id).ref
    assert ref and ref.isdigit(), ref
    waiting = reputation_report(hotline, speech_wav, f"+8869550{ref:0>5}")
    hotline.wait_for(lambda: _status(hotline, waiting) == "unacknowledged" or None, timeout=120,
                     what="every round unanswered")
    return {"event": event_id, "waiting": waiting}


def _newest(h: Hotline) -> int | None:
    with h.session() as s:
        return s.scalar(select(func.max(Incident.id)))


def _status(h: Hotline, incident_id: int) -> str:
    with h.session() as s:
        return s.get(Incident, incident_id).status


def _ref(h: Hotline, incident_id: int) -> str:
    with h.session() as s:
        return s.get(Incident, incident_id).ref


def _open(context, hotline: Hotline, lang: str, width: int):
    context.add_cookies([{"name": "console_lang", "value": lang, "url": hotline.public_url}])
    page = login(context.new_page())
    page.wait_for_url("**/console/incidents")
    page.set_viewport_size({"width": width, "height": 844})
    return page


def _shown(page) -> list[int]:
    return page.locator("#incidents tr[data-incident]").evaluate_all(
        "rows => rows.map(r => Number(r.dataset.incident))")


CASES = [(390, "en-US"), (390, "zh-TW"), (1280, "en-US"), (1280, "zh-TW")]


@pytest.mark.parametrize(("width", "lang"), CASES)
def test_a_row_between_rounds_names_the_next_call_and_offers_accept(context, hotline: Hotline, made: dict[str, int],
                                                                     width: int, lang: str):
    page = _open(context, hotline, lang, width)
    page.goto("/console/incidents")
    row = page.locator(f'#incidents tr[data-incident="{made["waiting"]}"]')
    row.wait_for()
    if AGAIN[lang]:
        assert AGAIN[lang] in row.locator(".now-text").inner_text()
    nxt = row.locator(".next-call")
    assert NEXT[lang] in nxt.inner_text() and nxt.get_attribute("data-person") == "lin", nxt.inner_text()
    accept = row.locator("form[data-action=accept] button")
    assert "Lin Mei" in accept.inner_text()
    accept.click()
    page.locator("dialog#confirm[open]").wait_for()
    question = page.locator("#confirm-text").inner_text()
    assert BEHALF[lang] in question and _ref(hotline, made["waiting"]) in question, question
    page.click("#confirm-cancel")
    assert _status(hotline, made["waiting"]) == "unacknowledged"  # cancelled: nothing happened

    # The event's report shows what the monitoring tool said, and is found by it.
    event_row = page.locator(f'#incidents tr[data-incident="{made["event"]}"]')
    assert SUMMARY in event_row.locator(".summary").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    shot(page, f"list-next-call-{width}-{lang}")
    page.goto("/console/incidents?q=db-primary")
    found = _shown(page)
    assert found == [made["event"]], found

    # Its reference: that report first, above the more urgent one whose caller number holds it.
    ref = _ref(hotline, made["event"])
    page.goto(f"/console/incidents?q={ref}")
    found = _shown(page)
    assert found[:2] == [made["event"], made["waiting"]], found


def test_escalate_now_between_rounds_starts_the_next_round(context, hotline: Hotline, made: dict[str, int]):
    page = _open(context, hotline, "en-US", 390)
    page.goto(f"/console/incidents/{made['waiting']}")
    before = len(hotline.audit(made["waiting"], "callout.dialed"))
    page.click("#escalate-form button")
    question = confirm(page)
    assert "Start the next round" in question and "Lin Mei is called first" in question, question
    assert "Going round again now" in page.locator(".flash.ok").inner_text()
    hotline.wait_for(lambda: len(hotline.audit(made["waiting"], "callout.dialed")) > before or None,
                     what="the next round's first call, at once")
    page.reload()
    assert "started round" in page.locator("#timeline, .timeline").first.inner_text()
