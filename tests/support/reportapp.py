"""The reporting app's tests: a hotline per module (SQLite, or PostgreSQL for a test marked so),
a phone enrolled through the same commands the console uses, and reports sent to the real HTTP
server the way the app sends them."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, Page
from sqlalchemy import func, select

from hotline.base.lifecycle import Actor, Channel
from hotline.base.models import Incident
from hotline.reportapp import commands
from hotline.reportapp.models import AppReport
from hotline.reportapp.settings import AppSettings
from tests.support.crisis import write_config
from tests.support.lanes import starts_processes
from tests.support.postgres import database_for
from tests.support.sandbox import Hotline

TAIPEI_HQ = (25.0330, 121.5654)  # site "101" in the repository's config.toml
NEAR_HQ = (25.0340, 121.5645)


@pytest.fixture(scope="module")
@starts_processes
def h(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, redis_url: str
      ) -> Iterator[Hotline]:
    """No worker: a report is an incident the moment the API answers; paging is queued in Redis."""
    tmp = tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1])
    url, drop = database_for(getattr(request, "param", "sqlite"))
    hotline = Hotline(tmp, redis_url, url, config_path=write_config(tmp), on_close=drop)
    yield hotline
    hotline.close()


def link_for(h: Hotline, person: str = "chen", lang: str = "en-US") -> str:
    """An enrolment link's token, issued as an admin would from the console."""
    with h.session() as s:
        _, token = commands.issue_link(s, person, lang, Actor("alice", Channel.CONSOLE), h.config.section(AppSettings))
    assert token
    return token


def enrol(h: Hotline, person: str = "chen", lang: str = "en-US") -> str:
    """A device token, through the public enrolment API (what the link's page does)."""
    r = requests.post(f"{h.public_url}/app/api/enrol", json={"link": link_for(h, person, lang)}, timeout=10)
    assert r.status_code == 201, r.text
    return str(r.json()["token"])


def send(h: Hotline, token: str, client_id: str | None = None, type_key: str = "workplace_accident",
         session: requests.Session | None = None, **more: Any) -> requests.Response:
    body = {"client_id": client_id or uuid.uuid4().hex, "type": type_key, "language": "en-US",
            "made_at": int(time.time() * 1000), **more}
    return (session or requests).post(f"{h.public_url}/app/api/reports", json=body, timeout=30,
                                      headers={"Authorization": f"Bearer {token}"})


def app_incidents(h: Hotline) -> int:
    with h.session() as s:
        return s.scalar(select(func.count()).select_from(Incident).where(Incident.source == "app")) or 0


def app_report(h: Hotline, client_id: str) -> dict[str, Any] | None:
    """The report's row and its incident's, as plain values."""
    with h.session() as s:
        row = s.execute(select(AppReport, Incident).join(Incident, Incident.id == AppReport.incident_id)
                        .where(AppReport.client_id == client_id)).first()
        if row is None:
            return None
        report, incident = row
        return {"lat": report.lat, "lon": report.lon, "accuracy_m": report.accuracy_m,
                "nearest_site": report.nearest_site, "incident_id": incident.id, "ref": incident.ref,
                "site": incident.site, "source": incident.source, "page_due_at": incident.page_due_at,
                "type_key": incident.type_key, "has_photo": report.photo_type is not None}


def phone(browser: Browser, h: Hotline, person: str = "chen", **options: Any) -> Page:
    """A phone 390 px wide, enrolled by opening its link and pressing Enrol, on the app, ready."""
    ctx = browser.new_context(base_url=h.public_url, locale="en-US", viewport={"width": 390, "height": 844},
                              extra_http_headers={"Accept-Language": "en-US,en;q=0.9"}, **options)
    ctx.set_default_timeout(20_000)
    page = ctx.new_page()
    page.goto(f"/app/enrol/{link_for(h, person)}")
    page.click("#enrol")
    page.wait_for_url("**/app/")
    page.wait_for_selector("body[data-ready=yes]")
    page.wait_for_selector("#types button")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    return page


def fits_390(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= 390"))
