"""The console tests' harness: a whole hotline (sim, Redis, real RQ workers) plus real Chromium, per
test module (the fixtures, which a conftest imports to use them), logging in, screenshots.

Chromium is Debian's, driven by Playwright with `executable_path`; nothing is downloaded.
The fake microphone plays a WAV file, so the browser phone records real speech.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from redis import Redis
from werkzeug.routing import IntegerConverter
from werkzeug.security import generate_password_hash

from hotline.base import jobs
from hotline.base.config import ROOT
from hotline.base.lifecycle import Actor, Channel
from hotline.paging import commands
from tests.support.lanes import starts_processes
from tests.support.sandbox import HOTLINE, Hotline

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "artifacts" / "console"
ADMIN, ADMIN_PW = "alice", "correct horse battery"
VIEWER, VIEWER_PW = "victor", "viewer pass phrase"
LINKED, LINKED_PW = "mei", "lin mei on the pr rota"  # an admin whose login is the person `lin` (Lin Mei)


def console_config(folder: Path, users: bool = True) -> Path:
    """config.toml plus a [console] section with two admins, one of them linked to the person
    `lin`, and one viewer (cheap hashes for speed)."""
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    text = text.replace('flows_dir = "ivr_flows"', f'flows_dir = "{ROOT / "ivr_flows"}"')
    if users:
        text += (f'\n[console]\nsession_hours = 8\n\n[console.users.{ADMIN}]\nrole = "admin"\n'
                 f'password_hash = "{generate_password_hash(ADMIN_PW, method="pbkdf2:sha256:1000")}"\n\n'
                 f'[console.users.{VIEWER}]\nrole = "viewer"\n'
                 f'password_hash = "{generate_password_hash(VIEWER_PW, method="pbkdf2:sha256:1000")}"\n\n'
                 f'[console.users.{LINKED}]\nrole = "admin"\nperson = "lin"\n'
                 f'password_hash = "{generate_password_hash(LINKED_PW, method="pbkdf2:sha256:1000")}"\n')
    path = folder / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
@starts_processes
def hotline(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hotline]:
    Redis.from_url(redis_url).flushdb()  # no scheduled callout jobs left over from another module's database
    tmp = tmp_path_factory.mktemp("console")
    h = Hotline(tmp, redis_url, "sqlite", config_path=console_config(tmp))
    h.start_worker("recordings", "callout", "default")
    yield h
    h.close()


@pytest.fixture(scope="session")
@starts_processes
def mic_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What the fake microphone says: 16 kHz mono speech, a format Chromium's fake capture reads."""
    path = tmp_path_factory.mktemp("mic") / "mic.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(path), "The server room is flooding. Please come now."],
                   check=True)
    return path


@pytest.fixture(scope="module")
@starts_processes
def browser(mic_wav: Path) -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--disable-quic", "--autoplay-policy=no-user-gesture-required",
            "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-audio-capture={mic_wav}"])
        yield b
        b.close()


@pytest.fixture()
def context(browser: Browser, hotline: Hotline) -> Iterator[BrowserContext]:
    # bypass_csp: Playwright's wait_for_function evaluates strings, which the console's CSP forbids;
    # test_security.py checks the CSP itself in a context without this.
    ctx = browser.new_context(base_url=hotline.public_url, locale="en-US", bypass_csp=True,
                              extra_http_headers={"Accept-Language": "en-US,en;q=0.9"})
    ctx.set_default_timeout(20_000)
    yield ctx
    ctx.close()


def login(page: Page, user: str = ADMIN, password: str = ADMIN_PW) -> Page:
    page.goto("/console/login")
    page.fill("input[name=user]", user)
    page.fill("input[name=password]", password)
    page.click("form.login button[type=submit]")
    return page


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def logged_in_client(h: Hotline, user: str = ADMIN, password: str = ADMIN_PW) -> Any:
    """A Flask test client with a session, and the CSRF token its forms carry."""

    client = h.app.test_client()
    page = client.get("/console/login").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    r = client.post("/console/login", data={"user": user, "password": password, "csrf_token": token})
    assert r.status_code == 302, r.get_data(as_text=True)
    page = client.get("/console/incidents").get_data(as_text=True)
    client.csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)  # type: ignore[union-attr,attr-defined]
    return client


def confirm(page: Page, answer: str | None = None, navigates: bool = False) -> str:
    """Answer the confirmation dialog an action opens (typing `answer` when it asks); its question.
    `navigates`: the answer posts a form that comes back to this same page; return once it has (a
    wait for the URL would return at once, before the action is done)."""
    dialog = page.locator("dialog#confirm[open]")
    dialog.wait_for()
    question = page.locator("#confirm-text").inner_text()
    if answer is not None:
        page.fill("#confirm-input", answer)
    if navigates:
        with page.expect_navigation():
            page.click("#confirm-ok")
    else:
        page.click("#confirm-ok")
    return question


def show_until(page: Page, selector: str) -> None:
    """Press the list's "N new reports — show" bar as often as it comes until `selector` is there:
    new rows wait behind it (issue #25), so nothing moves under a finger."""
    target, bar = page.locator(selector), page.locator("#fresh.on")
    while target.count() == 0:
        target.first.or_(bar).first.wait_for(state="attached")
        if target.count() == 0 and bar.count():
            bar.click()


def report(h: Hotline, wav: Path, digit: str, caller: str) -> int:
    c = h.sim.dial(caller, HOTLINE)
    c.expect_say("請選擇事件類型")
    c.press(digit)
    c.press("1")
    c.expect_record()
    c.speak(wav)
    c.press("#")
    c.expect_hangup()
    return h.wait_for(lambda: h.incident_for(c.sid), what="incident").id


@pytest.fixture(scope="module")
def incidents_in_each_state(hotline: Hotline, speech_wav: Path) -> dict[str, int]:
    """An accepted incident with a declined call, a stopped one, a closed one and an abandoned call."""
    accepted = report(hotline, speech_wav, "6", "+886955000701")
    lin = hotline.sim.phone("+886912000002")
    call = lin.expect_call(timeout=20)
    call.expect_status("ringing")
    call.decline()
    hotline.wait_for(lambda: hotline.audit(accepted, "callout.attempt") or None, what="declined attempt")
    jobs.run(commands.accept, person="lin", name="Lin Mei", incident_id=accepted, actor=Actor(ADMIN, Channel.CONSOLE))
    jobs.run(commands.add_note, accepted, Actor(ADMIN, Channel.CONSOLE), "called back")
    stopped = report(hotline, speech_wav, "7", "+886955000702")
    jobs.run(commands.stop_paging, stopped, Actor(ADMIN, Channel.CONSOLE), "drill")
    closed = report(hotline, speech_wav, "2", "+886955000703")
    jobs.run(commands.resolve, closed, Actor(ADMIN, Channel.CONSOLE), "done")
    gone = hotline.sim.dial("+886955000704", HOTLINE)
    gone.expect_say("請選擇事件類型")
    gone.hangup()
    return {"accepted": accepted, "stopped": stopped, "closed": closed}


def pages(h: Hotline, ids: dict[str, int]) -> Iterator[str]:
    """Every console GET route that answers HTML, with real ids; plus a 404 and a 403."""
    adapter = h.app.url_map.bind("localhost")
    for rule in h.app.url_map.iter_rules():
        if "GET" not in rule.methods or not (rule.rule.startswith("/console") or rule.rule.startswith("/sim/")):
            continue
        if rule.endpoint in ("console_i18n.switch", "console_auth.login") or rule.rule.endswith((".wav", ".json")):
            continue
        samples = [{}]
        if "incident_id" in rule.arguments:
            samples = [{"incident_id": i} for i in ids.values()]
        for values in samples:
            values = {**{a: 1 if isinstance(rule._converters[a], IntegerConverter) else "+886912000002"
                         for a in rule.arguments if a not in (rule.defaults or {})}, **values}
            yield adapter.build(rule.endpoint, values)
    yield "/console/no-such-page"
    yield f"/console/incidents/{max(ids.values()) + 100}"


LIN = "+886912000002"  # reputation reports page the PR rota: Lin Mei alone


def reputation_report(h: Hotline, wav: Path, caller: str) -> int:
    c = h.sim.dial(caller, HOTLINE)
    c.expect_say("請選擇事件類型")
    c.press("6")
    c.press("2")
    c.expect_record()
    c.speak(wav)
    c.press("#")
    c.expect_hangup()
    return h.wait_for(lambda: h.incident_for(c.sid), what="incident").id
