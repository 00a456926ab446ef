"""The rota calendar, swaps and the on-call hours report in Chromium at 390 px (issue #28).

The IT-security rota is layered here (Chen and Wang weekly, Huang on weekend days); Chen, logged
in under his own key, proposes a swap from the calendar, Wang accepts it in his own session,
and the calendar then shows Wang in Chen's stretch (the resolver applies the swap); the hours
page and its CSV read the same resolver."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import BrowserContext
from redis import Redis
from werkzeug.security import generate_password_hash

from hotline.base.config import load_config
from hotline.rotas.policy import OncallSettings
from hotline.rotas.resolve import OnCall, timeline
from tests.support.console import confirm, console_config, login, shot
from tests.support.lanes import starts_processes
from tests.support.sandbox import Hotline

WIDTH = 390
PASSWORDS = {"chen": "chen pass phrase", "wang": "wang pass phrase"}
LAYERED = """[rotas.it_security]

[[rotas.it_security.layers]]
name = "weekly"
members = ["chen", "wang"]
start = "2026-01-05"
handoff = "09:00"
length = "1w"

[[rotas.it_security.layers]]
name = "weekends"
members = ["huang"]
start = "2026-01-03"
handoff = "08:00"
length = "1d"
restrictions = [ { days = ["saturday", "sunday"], hours = "08:00-20:00" } ]
"""
WEEKLY = """[rotas.it_security]
members = ["chen", "wang"]
handoff = { weekday = "monday", time = "09:00" }
start = "2026-01-05"
"""


@pytest.fixture(scope="module")
@starts_processes
def hotline(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hotline]:
    Redis.from_url(redis_url).flushdb()
    tmp = tmp_path_factory.mktemp("rota_calendar")
    path = console_config(tmp)
    text = path.read_text(encoding="utf-8")
    assert WEEKLY in text
    text = text.replace(WEEKLY, LAYERED)
    for name, password in PASSWORDS.items():
        text += (f'\n[console.users.{name}]\nrole = "viewer"\n'
                 f'password_hash = "{generate_password_hash(password, method="pbkdf2:sha256:1000")}"\n')
    path.write_text(text, encoding="utf-8")
    h = Hotline(tmp, redis_url, "sqlite", config_path=path)
    yield h
    h.close()


def local(moment: datetime) -> str:
    return moment.astimezone(ZoneInfo("Asia/Taipei")).strftime("%Y-%m-%dT%H:%M")


def first_weekly(h: Hotline, person: str, after: datetime) -> OnCall:
    rota = load_config(h.env["HOTLINE_CONFIG"], env=h.env).section(OncallSettings).rotas["it_security"]
    return next(s for s in timeline(rota, after, after + timedelta(days=21))
                if s.person == person and s.layer == "weekly" and s.since > after
                and s.until - s.since >= timedelta(hours=3))


def open_as(context: BrowserContext, user: str):
    page = login(context.new_page(), user, PASSWORDS[user])
    page.wait_for_url("**/console/incidents")
    page.set_viewport_size({"width": WIDTH, "height": 900})
    return page


def test_calendar_swap_and_hours_at_390px(browser, hotline: Hotline):
    now = datetime.now(UTC)
    mine, theirs = first_weekly(hotline, "chen", now + timedelta(hours=1)), first_weekly(hotline, "wang", now)
    give = (mine.since, mine.since + timedelta(hours=2))
    back = (theirs.since, theirs.since + timedelta(hours=2))

    chen_ctx = browser.new_context(base_url=hotline.public_url, locale="en-US",
                                   extra_http_headers={"Accept-Language": "en-US,en;q=0.9"})
    page = open_as(chen_ctx, "chen")
    page.goto("/console/rota")
    page.click("#escalation tr[data-type=cyber_security] a.calendar-link")
    page.wait_for_url("**/console/rota/calendar/cyber_security")
    cal = page.locator("section.calendar[data-rota=it_security]")
    assert cal.locator("li.day").count() == 28
    assert cal.locator("li[data-person=huang]", has_text="weekends").count() >= 8  # every weekend day
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH

    form = page.locator("#swap-form")
    form.locator("select[name=rota]").select_option("it_security")
    form.locator("select[name=partner]").select_option("wang")
    form.locator("input[name=start]").fill(local(give[0]))
    form.locator("input[name=end]").fill(local(give[1]))
    form.locator("input[name=back_start]").fill(local(back[0]))
    form.locator("input[name=back_end]").fill(local(back[1]))
    form.locator("input[name=reason]").fill("dentist")
    form.locator("button[type=submit]").click()
    confirm(page)
    page.locator(".flash.ok", has_text="Swap proposed").wait_for()
    assert page.locator("#swaps li[data-state=proposed] form[data-action=accept-swap]").count() == 0  # not his
    give_day = give[0].astimezone(ZoneInfo("Asia/Taipei")).date().isoformat()
    day = page.locator(f"section.calendar[data-rota=it_security] li.day[data-day='{give_day}']")
    start_text = give[0].astimezone(ZoneInfo("Asia/Taipei")).strftime("%H:%M")
    assert day.locator("li[data-person=wang]", has_text=start_text).count() == 0  # not agreed yet
    chen_ctx.close()

    wang_ctx = browser.new_context(base_url=hotline.public_url, locale="zh-TW")
    page = open_as(wang_ctx, "wang")
    page.goto("/console/rota")
    page.click("#swaps-waiting a")  # the rota page tells him a swap waits for his answer
    page.wait_for_url("**/console/rota/calendar/cyber_security#swaps")
    page.locator("#swaps form[data-action=accept-swap] button").click()
    confirm(page)
    page.locator(".flash.ok").wait_for()
    day = page.locator(f"section.calendar[data-rota=it_security] li.day[data-day='{give_day}']")
    assert day.locator("li[data-person=wang]", has_text=start_text).count() == 1  # the resolver applies it
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
    shot(page, "rota-calendar-390")
    kinds = [e.kind for e in hotline.audit() if e.kind.startswith("rota_swap")]
    assert kinds == ["rota_swap_proposed", "rota_swap_accepted"]
    page.goto("/console/rota")
    assert page.locator("#swaps-waiting").count() == 0  # answered

    page.goto("/console/rota/hours")
    rows = page.locator("#hours tbody tr[data-person]")
    assert rows.count() >= 3 and page.locator("#hours tr[data-person=huang]").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
    shot(page, "rota-hours-390")
    csv = page.request.get(page.locator("#hours-csv").get_attribute("href") or "")
    lines = csv.text().splitlines()
    assert csv.ok and lines[0].startswith("month,person,name,weekday_hours,night_hours")
    assert any(",huang," in line for line in lines[1:])
    wang_ctx.close()
