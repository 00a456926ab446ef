"""Statements in the console (issue #25), in Chromium at 390 and 1280 px in both languages: the
crisis panel says when the next update is due ("Next update due in 60 min"), and once it is past,
says so clearly; a draft statement has "Preview public page", which shows exactly what the dark
site would show with it approved (the published ones too) under a "not public" banner, while the
public site still shows nothing of it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import Browser
from sqlalchemy import select, update

from hotline.crisis import commands as crisis_commands
from hotline.crisis.models import CrisisStatement
from tests.support.console import shot
from tests.support.crisis import client_for, make_hotline
from tests.support.crisis_browser import browser, context_for, login  # noqa: F401  (fixture)
from tests.support.lanes import starts_processes
from tests.support.sandbox import Hotline

CALLER = "+886955007401"
PUBLISHED = "First statement: we are investigating. 第一份聲明。"
DRAFT = "Second statement: systems restored. 第二份聲明：系統已恢復。"
DUE = {"en-US": r"Next update due in (\d+) min", "zh-TW": r"下一次更新將於 (\d+) 分鐘後到期"}
OVERDUE = {"en-US": r"The next update was due (\d+) min ago", "zh-TW": r"下一次更新已於 (\d+) 分鐘前"}
BANNER = {"en-US": "Preview: not public.", "zh-TW": "預覽：尚未公開。"}
LINK = {"en-US": "Preview public page", "zh-TW": "預覽公開頁面"}


@pytest.fixture(scope="module")
@starts_processes
def h(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hotline]:
    yield from make_hotline(request, tmp_path_factory, "sqlite")


@pytest.fixture(scope="module")
def incident_id(h: Hotline) -> int:
    """An active crisis with one statement published (by bob, drafted by alice) and one draft."""
    found = h.reported("22", CALLER)
    alice, bob = client_for(h, "alice"), client_for(h, "bob")
    base = f"/console/incidents/{found}/crisis"
    alice.post(f"{base}/activate", data={"csrf_token": alice.csrf})
    with h.session() as s:
        crisis_id = crisis_commands.crisis_for(s, found).id
    alice.post(f"{base}/{crisis_id}/statements", data={"csrf_token": alice.csrf, "body_en-US": PUBLISHED,
                                                        "body_zh-TW": PUBLISHED})
    with h.session() as s:
        first = s.scalars(select(CrisisStatement.id).where(CrisisStatement.crisis_id == crisis_id)).one()
    bob.post(f"{base}/statements/{first}/approve", data={"csrf_token": bob.csrf})
    alice.post(f"{base}/{crisis_id}/statements", data={"csrf_token": alice.csrf, "body_en-US": DRAFT,
                                                        "body_zh-TW": DRAFT})
    return found


CASES = [(390, "en-US"), (390, "zh-TW"), (1280, "en-US"), (1280, "zh-TW")]


@pytest.mark.parametrize(("width", "lang"), CASES)
def test_next_update_due_and_a_preview_of_the_public_page(browser: Browser, h: Hotline, incident_id: int,  # noqa: F811
                                                          width: int, lang: str):
    ctx = context_for(browser, h, viewport={"width": width, "height": 844})
    ctx.add_cookies([{"name": "console_lang", "value": lang, "url": h.public_url}])
    try:
        page = login(ctx, "bob")
        page.goto(f"/console/incidents/{incident_id}")
        due = re.search(DUE[lang], page.locator("#update-due").inner_text())
        assert due and 55 <= int(due.group(1)) <= 60, page.locator("#update-due").inner_text()
        link = page.locator("article.statement.draft a.preview-link")
        assert link.inner_text().strip() == LINK[lang] and link.count() == 1
        assert page.locator("article.statement.published a.preview-link").count() == 0
        with ctx.expect_page() as opened:
            link.click()
        preview = opened.value
        preview.wait_for_load_state()
        assert BANNER[lang] in preview.locator("#preview-banner").inner_text()
        bodies = preview.locator("main article").all_inner_texts()
        assert len(bodies) == 2 and DRAFT in bodies[0] and PUBLISHED in bodies[1], bodies  # as if published now
        assert preview.evaluate("document.documentElement.scrollWidth") <= width
        assert preview.locator("html").get_attribute("lang") == lang
        shot(preview, f"statement-preview-{width}-{lang}")
        public = h.app.test_client().get("/site/").get_data(as_text=True)
        assert DRAFT not in public and PUBLISHED not in public  # the dark site is off; the draft is not public
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    finally:
        ctx.close()


@pytest.mark.parametrize(("width", "lang"), [(390, "zh-TW"), (1280, "en-US")])
def test_an_overdue_update_is_shown_clearly(browser: Browser, h: Hotline, incident_id: int,  # noqa: F811
                                            width: int, lang: str):
    with h.session() as s:  # the published statement is 75 minutes old: its next update is 15 min late
        published = s.scalars(select(CrisisStatement).where(CrisisStatement.published_at.is_not(None))).one()
        s.execute(update(CrisisStatement).where(CrisisStatement.id == published.id).values(
            published_at=published.drafted_at - timedelta(minutes=75)))
    ctx = context_for(browser, h, viewport={"width": width, "height": 844})
    ctx.add_cookies([{"name": "console_lang", "value": lang, "url": h.public_url}])
    try:
        page = login(ctx, "alice")
        page.goto(f"/console/incidents/{incident_id}")
        said = page.locator("#update-due.overdue")
        late = re.search(OVERDUE[lang], said.inner_text())
        assert late and 14 <= int(late.group(1)) <= 17, said.inner_text()
        assert said.locator(".tag").inner_text().strip() in ("Overdue", "逾期")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    finally:
        ctx.close()
