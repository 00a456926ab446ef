"""The dark site as a reader meets it (issue #25), in Chromium at 390 and 1280 px: the bare
/site/ answers in the browser's language (Accept-Language; a CDN keeps one copy per language),
a statement's public heading is not the internal "type · reference", and the zh-TW and en-US
Atom feeds have entry ids of their own."""

from __future__ import annotations

from collections.abc import Iterator
from xml.etree import ElementTree as ET

import pytest
from playwright.sync_api import Browser
from sqlalchemy import select

from hotline.base.models import Incident
from hotline.crisis import commands as crisis_commands
from hotline.crisis.models import CrisisStatement
from tests.support.crisis import client_for, make_hotline
from tests.support.crisis_browser import browser  # noqa: F401  (fixture)
from tests.support.lanes import starts_processes
from tests.support.sandbox import Hotline

ATOM = "{http://www.w3.org/2005/Atom}"
EN, ZH = "We are investigating a cyber-security incident.", "我們正在調查一起資訊安全事件。"


@pytest.fixture(scope="module")
@starts_processes
def h(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hotline]:
    yield from make_hotline(request, tmp_path_factory, "sqlite")


@pytest.fixture(scope="module")
def published(h: Hotline) -> str:
    """An active crisis with one published statement and the dark site on; its report's reference."""
    h.sim.phone("+886955007301").manual()
    c = h.report("22", "+886955007301")
    incident = h.wait_for(lambda: h.incident_for(c.sid), what="incident")
    alice, bob = client_for(h, "alice"), client_for(h, "bob")
    base = f"/console/incidents/{incident.id}/crisis"
    alice.post(f"{base}/activate", data={"csrf_token": alice.csrf})
    with h.session() as s:
        crisis = crisis_commands.crisis_for(s, incident.id)
        assert crisis is not None
        crisis_id = crisis.id
    alice.post(f"{base}/{crisis_id}/statements", data={"csrf_token": alice.csrf, "body_en-US": EN, "body_zh-TW": ZH})
    with h.session() as s:
        statement_id = s.scalars(select(CrisisStatement.id).where(CrisisStatement.crisis_id == crisis_id)).one()
        ref = s.get(Incident, incident.id).ref
    bob.post(f"{base}/statements/{statement_id}/approve", data={"csrf_token": bob.csrf})
    alice.post(f"{base}/{crisis_id}/dark-site", data={"csrf_token": alice.csrf, "on": "1"})
    return ref


@pytest.mark.parametrize(("width", "accept", "lang", "body"), [
    (390, "en-US,en;q=0.9", "en-US", EN), (1280, "zh-TW,zh;q=0.9,en;q=0.5", "zh-TW", ZH),
    (390, "fr-FR,fr;q=0.9", "zh-TW", ZH)])  # a language the site does not have: the default
def test_the_bare_site_answers_in_the_readers_language(browser: Browser, h: Hotline, published: str,  # noqa: F811
                                                       width: int, accept: str, lang: str, body: str):
    ctx = browser.new_context(base_url=h.public_url, viewport={"width": width, "height": 844},
                              extra_http_headers={"Accept-Language": accept})
    try:
        page = ctx.new_page()
        response = page.goto("/site/")
        assert response is not None and "accept-language" in response.headers.get("vary", "").lower()
        assert page.locator("html").get_attribute("lang") == lang
        assert body in page.locator("main").inner_text()
        heading = page.locator("article h2").first.inner_text()
        assert published not in heading and "·" not in heading, heading
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    finally:
        ctx.close()


def test_each_languages_feed_has_its_own_entry_ids(h: Hotline, published: str):
    public = h.app.test_client()
    ids = {}
    for lang in ("zh-TW", "en-US"):
        root = ET.fromstring(public.get(f"/site/{lang}/feed.atom").data)
        ids[lang] = {e.findtext(f"{ATOM}id") for e in root.iter(f"{ATOM}entry")}
        titles = [e.findtext(f"{ATOM}title") for e in root.iter(f"{ATOM}entry")]
        assert ids[lang] and all(published not in (t or "") for t in titles), titles
    assert not ids["zh-TW"] & ids["en-US"], ids
