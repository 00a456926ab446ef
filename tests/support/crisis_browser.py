"""Chromium for the crisis and broadcast pages' tests: the browser (no fake microphone), a
context on a hotline, a crisis button pressed and confirmed in the dialog that asks first
(issue #25), and a login as one of the crisis users."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, sync_playwright

from tests.support.console import CHROMIUM
from tests.support.crisis import USERS
from tests.support.lanes import starts_processes
from tests.support.sandbox import Hotline


@pytest.fixture(scope="module")
@starts_processes
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        yield b
        b.close()


def context_for(browser: Browser, h: Hotline, **options: object) -> BrowserContext:
    ctx = browser.new_context(base_url=h.public_url, locale="en-US",
                              extra_http_headers={"Accept-Language": "en-US,en;q=0.9"}, **options)
    ctx.set_default_timeout(20_000)
    return ctx


def press(page: Page, target: str | Locator) -> None:
    """Press a crisis button and say yes in the dialog that asks first (issue #25)."""
    (page.locator(target) if isinstance(target, str) else target).click()
    page.locator("dialog#confirm[open]").wait_for()
    page.click("#confirm-ok")


def login(ctx: BrowserContext, user: str) -> Page:
    page = ctx.new_page()
    page.goto("/console/login")
    page.fill("input[name=user]", user)
    page.fill("input[name=password]", USERS[user][1])
    page.click("form.login button[type=submit]")
    page.wait_for_url("**/console/incidents")
    return page
