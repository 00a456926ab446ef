"""Words people read, not keys (issue #25): with a crisis plan active (the team called, a step
done, a statement drafted, the dark site on), the incident's timeline has no dotted event key
("crisis.activated by admin") and no role key ("it_security"), in English or zh-TW; and no zh-TW
page shows an English sentence of the catalogue untranslated (crisis flashes included). In
Chromium at 390 px."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from babel.messages.pofile import read_po
from playwright.sync_api import Browser

from hotline.crisis import commands
from hotline.web.catalog import po_path
from tests.support.crisis import client_for, make_hotline
from tests.support.crisis_browser import browser, context_for, login  # noqa: F401  (fixture)
from tests.support.sandbox import Hotline

DOTTED = re.compile(r"\b[a-z]+(?:_[a-z]+)*\.[a-z]+(?:_[a-z]+)*\b")
KEYS = ("it_security", "no_answer", "no_key", "too_late", "communications_", "statement_drafted")


@pytest.fixture(scope="module")
def h(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hotline]:
    yield from make_hotline(request, tmp_path_factory, "sqlite")


@pytest.fixture(scope="module")
def incident_id(h: Hotline) -> int:
    for person in h.config.people.values():
        h.sim.phone(person.phone).manual()
    h.sim.phone("+886955008001").manual()
    c = h.report("22", "+886955008001")
    incident_id = h.wait_for(lambda: h.incident_for(c.sid), what="incident").id
    alice = client_for(h, "alice")
    alice.post(f"/console/incidents/{incident_id}/crisis/activate", data={"csrf_token": alice.csrf})
    h.wait_for(lambda: h.audit(incident_id, "crisis.called"), what="the team called")
    with h.session() as s:
        crisis = commands.crisis_for(s, incident_id)
        assert crisis is not None
        crisis_id, step_id = crisis.id, crisis.steps[0].id
    alice.post(f"/console/incidents/{incident_id}/crisis/steps/{step_id}", data={"csrf_token": alice.csrf, "done": "1"})
    alice.post(f"/console/incidents/{incident_id}/crisis/{crisis_id}/statements",
               data={"csrf_token": alice.csrf, "body_en-US": "Systems isolated.", "body_zh-TW": "系統已隔離。"})
    alice.post(f"/console/incidents/{incident_id}/crisis/{crisis_id}/dark-site",
               data={"csrf_token": alice.csrf, "on": "1"})
    return incident_id


def english_sentences() -> list[str]:
    """Literal pieces of the catalogue's sentences (between placeholders), long enough to be
    sentences rather than words that data may contain, whose zh-TW differs from the English."""
    with po_path().open("rb") as f:
        catalog = read_po(f, locale="zh_Hant_TW")
    pieces = set()
    for m in catalog:
        if not m.id or isinstance(m.id, tuple) or m.string == m.id:
            continue
        for piece in re.split(r"%\([a-z_]+\)s|%s|\{[a-z]+\}", m.id):
            piece = piece.strip(" .,:;()?")
            if len(piece) >= 14 and " " in piece:
                pieces.add(piece)
    return sorted(pieces)


@pytest.mark.parametrize("lang", ["en-US", "zh-TW"])
def test_a_timeline_with_a_crisis_has_no_keys(browser: Browser, h: Hotline, incident_id: int,  # noqa: F811
                                             lang: str):
    ctx = context_for(browser, h, viewport={"width": 390, "height": 844})
    ctx.add_cookies([{"name": "console_lang", "value": lang, "url": h.public_url}])
    try:
        page = login(ctx, "alice")
        page.goto(f"/console/incidents/{incident_id}")
        lines = page.locator("#audit li .say").all_inner_texts() or page.locator("#audit li").all_inner_texts()
        assert len(lines) >= 8
        dotted = [line for line in lines if DOTTED.search(line)]
        assert not dotted, dotted
        text = page.locator("main").inner_text()
        assert not [key for key in KEYS if key in text]
    finally:
        ctx.close()


def test_zh_tw_pages_show_no_untranslated_sentence(browser: Browser, h: Hotline, incident_id: int):  # noqa: F811
    sentences = english_sentences()
    assert len(sentences) > 100
    ctx = context_for(browser, h, viewport={"width": 390, "height": 844})
    ctx.add_cookies([{"name": "console_lang", "value": "zh-TW", "url": h.public_url}])
    with h.session() as s:
        crisis = commands.crisis_for(s, incident_id)
        assert crisis is not None
        step_id = crisis.steps[1].id
    try:
        page = login(ctx, "alice")
        found = []
        for url in (f"/console/incidents/{incident_id}", "/console/crisis/", "/console/incidents", "/console/drills"):
            page.goto(url)
            text = page.locator("body").inner_text()
            found += [f"{url}: {s}" for s in sentences if s in text]
        # A crisis action's result (its flash), in zh-TW.
        page.goto(f"/console/incidents/{incident_id}")
        page.locator(f"#crisis-checklist tr[data-step='{step_id}'] button").click()
        page.locator("dialog#confirm[open]").wait_for()
        page.click("#confirm-ok")
        page.locator("#crisis-result").wait_for()
        result = page.locator("#crisis-result").inner_text()
        assert result == "步驟已完成。" or not re.search(r"[A-Za-z]{3}", result), result
        assert not found, found
    finally:
        ctx.close()


def test_the_list_shows_which_report_has_its_crisis_plan_active(h: Hotline, incident_id: int):
    """Issue #25: the list did not show crises or false alarms."""
    alice = client_for(h, "alice")
    alice.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en-US"
    page = alice.get("/console/incidents/rows").get_data(as_text=True)
    assert f"data-incident=\"{incident_id}\"" in page
    row = page.split(f"data-incident=\"{incident_id}\"", 1)[1].split("</tr>", 1)[0]
    assert "Crisis plan active" in row
