"""Prompts, rota, health and language, in Chromium."""

from __future__ import annotations

from pathlib import Path

from hotline.base import prompt_store
from hotline.base.models import utcnow
from hotline.rotas.policy import OncallSettings
from hotline.rotas.resolve import next_on_call, on_call_now
from tests.support.console import logged_in_client, login, shot
from tests.support.sandbox import Hotline


def test_every_prompt_is_listed_and_one_is_uploaded_published_and_rolled_back(context, hotline: Hotline,
                                                                            speech_wav: Path):
    page = login(context.new_page())
    page.goto("/console/prompts")
    flow = hotline.app.config["FLOW"]
    rows = page.locator("#prompts tbody tr")
    assert rows.count() == len(flow.prompts) * len(hotline.config.languages)
    row = page.locator("#p-greeting-zh-TW")
    assert row.locator(".source").inner_text().strip() == "TTS"
    row.locator("input[type=file]").set_input_files(str(speech_wav))
    row.locator("form.upload button").click()
    page.locator(".flash.ok", has_text="v1").wait_for()
    row = page.locator("#p-greeting-zh-TW")
    version_audio = row.locator(".version[data-version='1'] audio")
    version_audio.evaluate("a => { a.preload = 'auto'; a.load(); }")  # listen: the version's audio loads
    page.wait_for_function("a => a.readyState >= 1 && a.duration > 0.5", arg=version_audio.element_handle())
    row.locator(".version[data-version='1'] button").click()  # publish
    page.locator(".flash.ok", has_text="Published").wait_for()
    assert "recorded v1" in page.locator("#p-greeting-zh-TW .source").inner_text()
    assert prompt_store.state(hotline.config.recordings_dir, "greeting", "zh-TW").published == 1
    public = hotline.app.test_client().get("/prompts/greeting/zh-TW.wav")  # what Twilio <Play>s, no login
    assert public.status_code == 200 and public.data[:4] == b"RIFF"
    shot(page, "prompts")
    page.locator("#p-greeting-zh-TW", has_text="Roll back").locator("button", has_text="Roll back").click()
    page.locator(".flash.ok", has_text="text-to-speech").wait_for()
    assert page.locator("#p-greeting-zh-TW .source").inner_text().strip() == "TTS"
    assert hotline.app.test_client().get("/prompts/greeting/zh-TW.wav").status_code == 404


def test_a_file_that_is_not_audio_is_refused_with_a_reason(hotline: Hotline, tmp_path: Path):
    client = logged_in_client(hotline)
    bogus = tmp_path / "notes.wav"
    bogus.write_bytes(b"this is a text file, not audio" * 10)
    with bogus.open("rb") as f:
        r = client.post("/console/prompts/greeting/en-US/upload", follow_redirects=True,
                        data={"csrf_token": client.csrf, "audio": (f, "notes.wav")})
    assert "could not read the audio" in r.get_data(as_text=True)
    assert prompt_store.state(hotline.config.recordings_dir, "greeting", "en-US").versions == ()


def test_rota_page_agrees_with_the_callout_resolver(context, hotline: Hotline):
    page = login(context.new_page())
    page.goto("/console/rota")
    settings, people, now = hotline.config.section(OncallSettings), hotline.config.people, utcnow()
    for key, rota in settings.rotas.items():
        row = page.locator(f"#rotas tr[data-rota='{key}']")
        assert row.locator(".now").inner_text().startswith(people[on_call_now(rota, now).person].name)
        nxt = next_on_call(rota, now)
        assert row.locator(".next").inner_text() == (people[nxt.person].name if nxt else "—")
    cyber = page.locator("#escalation tr[data-type='cyber_security'] li")
    first = on_call_now(settings.rotas["it_security"], now).person
    assert cyber.first.get_attribute("data-person") == first
    assert cyber.last.get_attribute("data-person") == "director"  # the fallback rota ends every order
    shot(page, "rota")


def test_health_page_and_json(context, hotline: Hotline):
    page = login(context.new_page())
    hotline.wait_for(lambda: page.request.get("/console/health.json").json()["workers"]["ok"] or None,
                     what="the module's worker registered with RQ")
    page.goto("/console/health")
    assert page.locator("#mode").get_attribute("data-mode") == "sim"
    assert page.locator("#mode").inner_text() == "simulator (no real calls)"
    for check in ("redis", "database", "workers", "queues"):
        row = page.locator(f"#checks tr[data-check={check}]")
        assert row.locator(".tag").inner_text() == "ok", (check, row.inner_text())
    models = page.locator("#checks tr[data-check=models]")  # config.toml configures no model: "off", not "ok"
    assert models.get_attribute("data-state") == "off" and "No model is configured." in models.inner_text()
    worker = page.locator("#checks .worker").first.inner_text()
    assert ", process " in worker and "callout" in worker  # host and process id, not RQ's random name
    assert "oldest waiting" not in page.locator("#checks tr[data-check=queues]").inner_text()  # nothing queued
    shot(page, "health")
    data = page.request.get("/console/health.json").json()
    assert data["redis"]["ok"] and data["database"]["ok"] and data["workers"]["count"] >= 1
    assert set(data["queues"]["queues"]) >= {"callout", "recordings", "transcribe"}
    assert data["mode"] == "sim" and "models" in data


def test_language_follows_the_browser_and_the_switch(browser, hotline: Hotline):
    ctx = browser.new_context(base_url=hotline.public_url, locale="zh-TW",
                              extra_http_headers={"Accept-Language": "zh-TW,zh;q=0.9"})
    try:
        page = ctx.new_page()
        page.goto("/console/login")
        assert page.locator("h1").inner_text() == "登入"
        login(page)
        assert page.locator("header nav a").first.inner_text() == "事件"
        page.click("header .langs a:has-text('English')")
        assert page.locator("header nav a").first.inner_text() == "Incidents"
        assert "/console/incidents" in page.url  # the switch returns to the same page
    finally:
        ctx.close()
