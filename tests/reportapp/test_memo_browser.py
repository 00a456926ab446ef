"""The app records a voice memo in Chromium at 390 px (a fake microphone playing a file) and sends
it with the next report: stored on site, one incident."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, expect
from sqlalchemy import select

from hotline.reportapp.models import AppReport
from tests.support.console import browser, mic_wav  # noqa: F401  (the Chromium with a fake microphone)
from tests.support.reportapp import fits_390, phone
from tests.support.sandbox import Hotline


def test_a_memo_recorded_on_the_phone_goes_with_the_report(browser: Browser, h: Hotline):  # noqa: F811
    page = phone(browser, h, permissions=["microphone"])
    page.click("#memo")
    expect(page.locator("#memo")).to_have_text("Stop recording")
    page.click("#memo")
    expect(page.locator("#memo-state")).to_contain_text("Voice memo ready")
    assert fits_390(page)
    page.locator("#types button").first.click()
    sent = page.locator("#reports li[data-state=sent]").first
    expect(sent).to_be_visible()
    client_id = sent.get_attribute("data-client-id")
    with h.session() as s:
        row = s.scalar(select(AppReport).where(AppReport.client_id == client_id))
        assert row is not None and row.memo_path is not None and row.memo_type == "audio/webm"
        assert Path(row.memo_path).stat().st_size > 0
    expect(page.locator("#memo-state")).to_have_text("")
    page.context.close()
