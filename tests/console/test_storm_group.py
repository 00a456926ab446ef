"""A storm worked as one group in the console (issue #25), in Chromium at 390 and 1280 px, in
both languages: the list shows a storm as one group whose heading names every report; its
"Accept all" names every report it will accept; "Close all" and "Close selected" ask first, with a
reason; on an incident page "Split off" and "Merge" ask first; nothing scrolls sideways. Then the
real thing: a report split out of the storm is paged by a callout of its own, merged back it
rejoins the storm's callout, and the storm is closed at once with a reason."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from hotline.base.models import Incident
from hotline.paging.callout.store import paging_callout
from tests.support.console import LIN, login, reputation_report, shot
from tests.support.sandbox import Hotline

SIZES = [(w, lang) for lang in ("en-US", "zh-TW") for w in (390, 1280)]


@pytest.fixture(scope="module")
def storm(hotline: Hotline, speech_wav: Path) -> list[int]:
    """Three reputation reports within the storm window: one callout rings Lin Mei for all."""
    ids = [reputation_report(hotline, speech_wav, f"+88695500550{n}") for n in range(3)]
    hotline.sim.phone(LIN).expect_call(timeout=20).expect_status("ringing")
    return ids


def refs(hotline: Hotline, ids: list[int]) -> list[str]:
    with hotline.session() as s:
        return list(s.scalars(select(Incident.ref).where(Incident.id.in_(ids)).order_by(Incident.id)))


def open_list(context, hotline: Hotline, width: int, lang: str):
    context.add_cookies([{"name": "console_lang", "value": lang, "url": hotline.public_url}])
    page = login(context.new_page())
    page.wait_for_url("**/console/incidents")
    page.set_viewport_size({"width": width, "height": 844})
    page.goto("/console/incidents")
    return page


def asked(page, selector: str) -> tuple[str, bool]:
    """Press the button, read the dialog's question and whether it asks for a reason; cancel."""
    page.locator(selector).click()
    page.locator("dialog#confirm[open]").wait_for()
    question = page.locator("#confirm-text").inner_text()
    wants_reason = page.locator("#confirm-input").is_visible()
    page.click("#confirm-cancel")
    return question, wants_reason


def fits(page, width: int) -> None:
    if width == 390:
        assert page.evaluate("document.documentElement.scrollWidth") <= 390


@pytest.mark.parametrize("width,lang", SIZES)
def test_the_storm_is_one_group_naming_every_report(context, hotline: Hotline, storm: list[int], width: int,
                                                   lang: str):
    names = refs(hotline, storm)
    page = open_list(context, hotline, width, lang)
    group = page.locator("#incidents tbody.storm-group").filter(has=page.locator(f'tr[data-incident="{storm[0]}"]'))
    assert group.count() == 1
    head = group.locator("tr.storm-head").inner_text()
    assert all(ref in head for ref in names), head
    assert sorted(int(i) for i in group.locator("tr[data-incident]").evaluate_all(
        "rows => rows.map(r => r.dataset.incident)")) == sorted(storm)  # every report, together
    if lang == "zh-TW":
        assert "Storm" not in head and "Accept" not in head and "Close" not in head, head

    question, _ = asked(page, "#incidents tbody.storm-group form[data-action=accept-all] button")
    assert all(ref in question for ref in names), question
    question, reason = asked(page, "#incidents tbody.storm-group form[data-action=close-all] button")
    assert all(ref in question for ref in names) and reason, question
    fits(page, width)
    shot(page, f"storm-group-{width}-{lang}")


@pytest.mark.parametrize("width,lang", SIZES)
def test_close_selected_names_the_picked_reports_and_asks_first(context, hotline: Hotline, storm: list[int],
                                                                width: int, lang: str):
    names = refs(hotline, storm)
    page = open_list(context, hotline, width, lang)
    assert page.locator("#close-selected").is_disabled()
    page.check(f"#pick-{storm[0]}")
    page.check(f"#pick-{storm[2]}")
    question, reason = asked(page, "#close-selected")
    assert names[0] in question and names[2] in question and names[1] not in question and reason, question
    assert all(s == "paging" or s == "new" or s == "recorded" for s in page.locator(
        "#incidents tr[data-incident] .status").evaluate_all("els => els.map(e => e.dataset.status)"))  # nothing closed
    fits(page, width)


@pytest.mark.parametrize("width,lang", SIZES)
def test_split_and_merge_ask_first(context, hotline: Hotline, storm: list[int], width: int, lang: str):
    names = refs(hotline, storm)
    page = open_list(context, hotline, width, lang)
    page.goto(f"/console/incidents/{storm[1]}")
    question, reason = asked(page, "#split-form button")
    assert all(ref in question for ref in names) and reason, question
    page.select_option("#merge-form select", str(storm[0]))
    question, reason = asked(page, "#merge-form button")
    assert names[1] in question and names[0] in question and reason, question
    fits(page, width)
    with hotline.session() as s:
        assert paging_callout(s, storm[1]).id == paging_callout(s, storm[0]).id  # nothing happened


def test_split_pages_the_report_alone_then_merge_brings_it_back(context, hotline: Hotline, storm: list[int]):
    names = refs(hotline, storm)
    page = open_list(context, hotline, 1280, "en-US")
    page.goto(f"/console/incidents/{storm[1]}")
    page.click("#split-form button")
    page.fill("#confirm-input", "a different complaint")
    with page.expect_navigation():
        page.click("#confirm-ok")
    with hotline.session() as s:
        own, shared = paging_callout(s, storm[1]), paging_callout(s, storm[0])
        assert own is not None and own.id != shared.id  # paged, by a callout of its own
    assert "split this report out of the storm" in page.locator("#audit").inner_text()

    page.select_option("#merge-form select", str(storm[0]))
    page.click("#merge-form button")
    page.fill("#confirm-input", "the same complaint after all")
    with page.expect_navigation():
        page.click("#confirm-ok")
    with hotline.session() as s:
        assert paging_callout(s, storm[1]).id == paging_callout(s, storm[0]).id
    page.goto(f"/console/incidents/{storm[0]}")
    said = page.locator("#audit").inner_text()
    assert f"merged report {names[1]} into this incident" in said, said
    assert page.locator(f"#merged-{storm[1]}").count() == 1  # its recording, shown from the target


def test_close_all_closes_the_storm_with_the_reason(context, hotline: Hotline, storm: list[int]):
    page = open_list(context, hotline, 390, "zh-TW")
    page.click("#incidents tbody.storm-group form[data-action=close-all] button")
    page.locator("dialog#confirm[open]").wait_for()
    page.fill("#confirm-input", "誤報")
    with page.expect_navigation():
        page.click("#confirm-ok")
    with hotline.session() as s:
        assert {s.get(Incident, i).status for i in storm} == {"closed"}
        assert all(paging_callout(s, i) is None for i in storm)
    assert "誤報" in [e.detail.get("text") for e in hotline.audit(storm[0], "note")]
