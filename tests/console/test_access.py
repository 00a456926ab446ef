"""Who gets in: every console route needs a login, forms need the CSRF token, viewers only read,
and the [console] section and first-run token behave as documented."""

from __future__ import annotations

import os
import re
import stat
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import Flask
from werkzeug.routing import IntegerConverter

from hotline.base.config import load_config
from hotline.console import first_run_token
from hotline.web.auth import check_login
from hotline.web.settings import load_section
from tests.support.console import VIEWER, VIEWER_PW, console_config, logged_in_client, login, shot
from tests.support.sandbox import Hotline

# Reachable without a console login, on purpose: Twilio's webhooks (signed), the public health probe,
# prompt audio Twilio fetches for <Play>, static files, the login form, the language switch, and the
# callout's recording media (for Twilio's <Play>, guarded by a per-recording token).
PUBLIC_PREFIXES = ("/voice/", "/prompts/", "/static/", "/media/recording/", "/site/",  # /site/: the dark site
                   "/events/",  # the events API: its own integration keys (tests/events/test_bad_input.py)
                   "/b/",  # a broadcast's "are you safe?" and unsubscribe links: their own signed tokens
#                            (tests/broadcasts/test_email_and_links.py refuses forged ones)
                   "/app/")  # the reporting app: its shell, and an API on enrolled devices' tokens
#                            (tests/reportapp/test_api.py refuses unknown and revoked ones)
PUBLIC_ENDPOINTS = {"healthz", "static", "console_auth.login", "console_i18n.switch",
                    # a browser subscribing to push needs the VAPID public key and the service worker
                    "broadcast_public.push_key", "broadcast_public.service_worker",
                    "broadcast_public.stylesheet", "broadcast_public.console_script"}  # static files


def _sample_url(h: Hotline, rule) -> str:  # type: ignore[no-untyped-def]
    values = {arg: 1 if isinstance(rule._converters[arg], IntegerConverter) else "CAx"
              for arg in rule.arguments if arg not in (rule.defaults or {})}
    return h.app.url_map.bind("localhost").build(rule.endpoint, values, method=sorted(rule.methods)[0])


def test_every_dashboard_route_and_recording_url_refuses_strangers(hotline: Hotline):
    client = hotline.app.test_client()
    checked: set[str] = set()
    for rule in hotline.app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS or rule.rule.startswith(PUBLIC_PREFIXES):
            continue
        url = _sample_url(hotline, rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            r = client.open(url, method=method)
            assert r.status_code in (302, 401, 403), f"{method} {url} ({rule.endpoint}) gave {r.status_code}"
            if r.status_code == 302:
                assert "/console/login" in r.headers["Location"], (url, r.headers["Location"])
        checked.add(rule.endpoint)
    # The walk is not vacuous: the routes that matter most were among those refused.
    assert {"console_incident.recording_audio", "console_incident.page", "console_actions.accept",
            "console_prompts.change", "console_sim_api.proxy", "console_health.as_json"} <= checked


def test_recording_media_for_twilio_needs_its_token(hotline: Hotline):
    rules = [r for r in hotline.app.url_map.iter_rules() if r.rule.startswith("/media/recording/")]
    for rule in rules:
        assert hotline.app.test_client().get(_sample_url(hotline, rule)).status_code in (403, 404)


def test_wrong_password_is_refused_and_the_right_one_logs_in(context, hotline: Hotline):
    page = context.new_page()
    login(page, VIEWER, "not the password")
    assert page.locator(".flash.error").is_visible()
    assert "/console/login" in page.url
    shot(page, "login-failed")
    login(page, VIEWER, VIEWER_PW)
    page.wait_for_url("**/console/incidents")
    assert page.locator(".who").inner_text().startswith(VIEWER)
    page.click("header form button")  # log out
    page.wait_for_url("**/console/login**")
    page.goto("/console/incidents")
    assert "/console/login" in page.url


def test_forms_without_the_csrf_token_are_refused(hotline: Hotline):
    client = logged_in_client(hotline)
    assert client.post("/console/incidents/1/note", data={"note": "x"}).status_code == 403
    assert client.post("/console/incidents/1/note", data={"note": "x", "csrf_token": "forged"}).status_code == 403
    r = client.post("/sim/api/dial", json={"from": "+886911000000", "to": hotline.config.numbers[0]})
    assert r.status_code == 403  # the phone's fetches carry the token in a header


def test_viewers_read_but_cannot_act(hotline: Hotline):
    client = logged_in_client(hotline, VIEWER, VIEWER_PW)
    assert client.get("/console/prompts").status_code == 200
    r = client.post("/console/incidents/1/note", data={"note": "x", "csrf_token": client.csrf})
    assert r.status_code == 403
    r = client.post("/console/prompts/greeting/zh-TW/rollback", data={"csrf_token": client.csrf})
    assert r.status_code == 403


def test_session_cookie_is_http_only_and_same_site(hotline: Hotline):
    client = hotline.app.test_client()
    client.get("/console/login")
    cookie = client.get_cookie("hotline_console")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"
    assert not cookie.secure  # http://127.0.0.1 in tests; Secure is set when public_url is https


def test_first_run_token_until_an_admin_is_configured(tmp_path):
    env = {"HOTLINE_DATA_DIR": str(tmp_path / "data")}
    bare = load_config(console_config(tmp_path, users=False), env=env)
    token = first_run_token(bare)
    assert token and first_run_token(bare) == token  # created once, then the same
    path = tmp_path / "data" / "console" / "first-run-token"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    configured = load_config(console_config(tmp_path, users=True), env=env)
    assert first_run_token(configured) is None


def test_first_run_token_logs_in_as_admin_only_while_no_admin_exists(tmp_path, hotline: Hotline):
    bare = load_config(console_config(tmp_path, users=False), env={"HOTLINE_DATA_DIR": str(tmp_path / "d")})
    token = first_run_token(bare)
    app = Flask(__name__)
    app.config["HOTLINE"] = bare
    with app.test_request_context():
        assert check_login("admin", token) == "admin"
        assert check_login("admin", token + "x") is None
    # The module's hotline names admins, so there the token user does not exist at all.
    with hotline.app.test_request_context():
        assert check_login("admin", token) is None


@pytest.mark.parametrize("section,key", [
    ({"users": {"bob": {"role": "admin", "password": "hunter2"}}}, "console.users.bob.password"),
    ({"users": {"bob": {"role": "boss", "password_hash": "pbkdf2:sha256:1000$a$00"}}}, "console.users.bob.role"),
    ({"users": {"bob": {"role": "admin", "password_hash": "plain"}}}, "console.users.bob.password_hash"),
    ({"users": {"bob": {"role": "admin", "password_hash": "pbkdf2:sha256:1000$a$00", "person": "nobody"}}},
     "console.users.bob.person"),  # a login is linked to a [people] key that exists
    ({"session_hours": 0}, "console.session_hours"),
    ({"colour": "red"}, "console.colour"),
])
def test_bad_console_section_names_key_and_fix(tmp_path, section, key):
    cfg = load_config(console_config(tmp_path, users=False), env={"HOTLINE_DATA_DIR": str(tmp_path)})
    _settings, problems = load_section(cfg.with_overrides(raw={**cfg.raw, "console": section}), "config.toml")
    assert [p.key for p in problems] == [key]
    assert problems[0].fix and "hunter2" not in str(problems[0])


def _login_attempt(hotline: Hotline, password: str, addr: str = "127.0.0.1", user: str = VIEWER) -> int:
    client = hotline.app.test_client()
    client.environ_base["REMOTE_ADDR"] = addr
    page = client.get("/console/login").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    return client.post("/console/login", data={"user": user, "password": password,
                                               "csrf_token": token}).status_code


def test_finding5_wrong_passwords_from_one_address_do_not_lock_the_user_out_elsewhere(hotline: Hotline):
    """Guessing is slowed per user name and address together: after 5 failures from one address
    even the right password is refused (429) there for a while, but the rightful user at another
    address still logs in (5 wrong passwords from anyone used to lock a named admin out)."""
    try:
        assert [_login_attempt(hotline, f"guess {i}", "203.0.113.66") for i in range(5)] == [401] * 5
        assert _login_attempt(hotline, VIEWER_PW, "203.0.113.66") == 429
        assert _login_attempt(hotline, VIEWER_PW, "203.0.113.7") == 302
        events = hotline.audit(kind="login_guessing")
        assert len(events) == 1 and events[0].detail["user"] == VIEWER and VIEWER_PW not in str(events[0].detail)
        assert events[0].actor == "203.0.113.66" and events[0].detail["by"] == ["user"]
        health = logged_in_client(hotline).get("/console/health").get_data(as_text=True)
        assert 'id="guessing"' in health and "203.0.113.66" in health  # the console's warning
    finally:
        hotline.runtime.redis.delete(*hotline.runtime.redis.keys("hotline:throttle:login-*"))


def test_finding5_concurrent_wrong_passwords_check_at_most_five(hotline: Hotline):
    """The try is reserved before the password is checked: 24 at once are 5 checked, the rest 429."""
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            codes = list(pool.map(lambda i: _login_attempt(hotline, f"guess {i}", "203.0.113.80"), range(24)))
        assert sorted(codes) == [401] * 5 + [429] * 19
    finally:
        hotline.runtime.redis.delete(*hotline.runtime.redis.keys("hotline:throttle:login-*"))
