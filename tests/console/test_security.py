"""The console's trust boundaries in a real browser: no open redirect after login, a logged-out
session cookie is dead even when replayed, the CSP is sent and enforced, and the browser phones
(which can dial from any number) are for admins only. Plus the data files' permissions."""

from __future__ import annotations

import os
import stat
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser
from playwright.sync_api import Error as PlaywrightError

from tests.support.console import ADMIN, ADMIN_PW, VIEWER, VIEWER_PW, login
from tests.support.sandbox import Hotline


@pytest.fixture()
def strict(browser: Browser, hotline: Hotline):  # type: ignore[no-untyped-def]
    """A browser context that honours the CSP (the shared `context` bypasses it for Playwright)."""
    ctx = browser.new_context(base_url=hotline.public_url, locale="en-US")
    ctx.set_default_timeout(20_000)
    yield ctx
    ctx.close()


@pytest.mark.parametrize("target", ["/\t/evil.example", "//evil.example", "/\\evil.example",
                                    "https://evil.example/", "/\n/evil.example", "javascript:alert(1)"])
def test_login_never_redirects_to_another_site(strict, hotline: Hotline, target: str):
    page = strict.new_page()
    page.goto("/console/login?next=" + quote(target, safe=""))
    page.fill("input[name=user]", ADMIN)
    page.fill("input[name=password]", ADMIN_PW)
    page.click("form.login button[type=submit]")
    page.wait_for_load_state()
    assert page.url.startswith(hotline.public_url + "/console/"), page.url
    assert "evil.example" not in page.url


def test_login_keeps_a_same_site_next(strict, hotline: Hotline):
    page = strict.new_page()
    page.goto("/console/rota")  # redirected to log in, with next=/console/rota
    assert "/console/login" in page.url
    page.fill("input[name=user]", VIEWER)
    page.fill("input[name=password]", VIEWER_PW)
    page.click("form.login button[type=submit]")
    page.wait_for_url("**/console/rota")


def test_a_cookie_copied_before_logout_is_dead_after_it(browser: Browser, strict, hotline: Hotline):
    page = login(strict.new_page(), VIEWER, VIEWER_PW)
    page.wait_for_url("**/console/incidents")
    stolen = [c for c in strict.cookies() if c["name"] == "hotline_console"]
    assert stolen
    page.click("header form button")  # log out
    page.wait_for_url("**/console/login**")
    thief = browser.new_context(base_url=hotline.public_url)
    try:
        thief.add_cookies(stolen)
        replay = thief.new_page()
        replay.goto("/console/incidents")
        assert "/console/login" in replay.url  # the server forgot the session: the cookie is nothing
    finally:
        thief.close()


def test_csp_is_sent_and_enforced(strict, hotline: Hotline):
    page = strict.new_page()
    response = page.goto("/console/login")
    assert response is not None
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["x-frame-options"] == "DENY"
    with pytest.raises(PlaywrightError, match="Content Security Policy"):
        page.add_script_tag(content="window.injected = 1")  # an inline script, as an XSS would add


def test_a_viewer_cannot_reach_the_browser_phones(strict, hotline: Hotline):
    page = login(strict.new_page(), VIEWER, VIEWER_PW)
    page.wait_for_url("**/console/incidents")
    assert page.locator("header a[href='/sim']").count() == 0
    response = page.goto("/sim")
    assert response is not None and response.status == 403
    r = page.request.get("/sim/api/events")
    assert r.status == 403  # nor the event feed (it shows what every caller pressed)
    admin = strict.browser.new_context(base_url=hotline.public_url)  # type: ignore[union-attr]
    try:
        page = login(admin.new_page(), ADMIN, ADMIN_PW)
        page.wait_for_url("**/console/incidents")
        assert page.goto("/sim").status == 200  # type: ignore[union-attr]
    finally:
        admin.close()


def test_data_files_are_private(hotline: Hotline):
    from hotline.base.pins import set_pin

    data = hotline.config.data_dir
    set_pin(data, "operator", "1357911")
    for folder in (data, data / "console"):
        assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700, folder
    for path in (data / "hotline.db", data / "pins.json", data / "console" / "secret_key"):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path


def test_forwarded_for_is_ignored_unless_a_proxy_is_configured(hotline: Hotline):
    """Rotating X-Forwarded-For must not dodge the per-address login throttle (trusted_proxies = 0)."""
    import re

    client = hotline.app.test_client()

    def attempt(n: int, user: str, password: str) -> int:
        page = client.get("/console/login").get_data(as_text=True)
        token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        return client.post("/console/login", data={"user": user, "password": password, "csrf_token": token},
                           headers={"X-Forwarded-For": f"198.51.100.{n}"}).status_code

    try:
        assert [attempt(n, f"nobody{n}", "guess") for n in range(20)] == [401] * 20
        assert attempt(99, ADMIN, ADMIN_PW) == 429  # the real address is locked, whatever the header says
    finally:
        redis = hotline.runtime.redis
        redis.delete(*redis.keys("hotline:throttle:login-*"))
