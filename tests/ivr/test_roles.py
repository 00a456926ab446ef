"""The other callers on the same number: radio/satellite operators, admins recording prompts,
and the hidden PIN menu with its lockout. Through the sim, virtual time, real Redis and workers."""

from __future__ import annotations

import subprocess
import sys
import wave
from pathlib import Path

import pytest
from sqlalchemy import select

from hotline.base import jobs
from hotline.base.config import ROOT
from hotline.base.lifecycle import Actor, Channel
from hotline.base.models import AuditEvent, Incident, Recording, utcnow
from hotline.paging import commands
from hotline.paging.callout.store import callout_for_incident
from tests.support.sandbox import HOTLINE, Hotline

SATELLITE_OPERATOR = "+881631234567"
OPERATOR_PIN, ADMIN_PIN = "482916", "735120"


@pytest.fixture(scope="module")
def hotline(redis_url, tmp_path_factory):
    h = Hotline(tmp_path_factory.mktemp("roles"), redis_url, "sqlite",
                extra_env={"HOTLINE_OPERATOR_PIN": OPERATOR_PIN, "HOTLINE_ADMIN_PIN": ADMIN_PIN})
    h.start_worker("recordings", "default")
    yield h
    h.close()


def _enter(c, digits: str, confirm_text: str) -> None:
    c.press(digits)
    c.expect_say(confirm_text)
    c.press("1")


def test_satellite_operator_relays_a_report_with_every_confirmation(hotline, speech_wav):
    c = hotline.sim.dial(SATELLITE_OPERATOR, HOTLINE)
    c.expect_say("備援通報員您好")
    c.press("1")
    c.expect_say("請輸入事件類型代碼")
    c.press("4")
    c.expect_say("您輸入的是 4，供應鏈")
    c.press("2")  # re-enter
    c.expect_say("請輸入事件類型代碼")
    _enter(c, "3", "您輸入的是 3，公共衛生")
    c.expect_say("請輸入嚴重程度")
    _enter(c, "1", "有人受傷或有危險")
    c.expect_say("請輸入地點代碼")
    c.press("999#")
    c.expect_say("這個代碼不在清單中")
    _enter(c, "102#", "1 0 2，Hsinchu plant")
    c.expect_say("留下語音說明")
    c.press("1")
    c.expect_record()
    c.speak(speech_wav)
    c.press("#")
    filed = c.expect_say("已建立通報")
    c.expect_hangup()
    inc = hotline.incident_for(c.sid)
    assert (inc.type_key, inc.severity, inc.site) == ("public_health", "danger", "102")
    assert inc.source == "operator" and inc.relayed_by == "radio_north"
    assert " ".join(inc.ref) in filed["text"]
    rec = hotline.wait_for(lambda: next((r for r in hotline.recordings(inc.id) if r.status == "stored"), None),
                           what="the operator's voice note")
    assert rec.kind == "report"
    due = hotline.incident_for(c.sid).page_due_at
    assert due is not None and due <= utcnow()  # the relay is over: paging is due now, not after the grace
    hotline.converge()
    with hotline.session() as s:
        assert callout_for_incident(s, inc.id) is not None
    jobs.run(commands.stop_paging, inc.id, Actor("test", Channel.CLI), "end of test")


def test_silence_on_a_slow_link_repeats_the_prompt_instead_of_moving_on(hotline):
    c = hotline.sim.dial(SATELLITE_OPERATOR, HOTLINE)
    c.expect_say("備援通報員您好")
    c.press("1")
    c.expect_say("請輸入事件類型代碼")
    hotline.sim.advance(9)  # shorter than the operator timeout (>= 10 s): nothing happens yet
    assert not any("我們沒有收到按鍵" in s for s in c.said())
    hotline.sim.advance(7)
    c.expect_say("我們沒有收到按鍵")
    c.expect_say("請輸入事件類型代碼")  # the same question again, not the next one
    _enter(c, "2", "資訊安全")
    c.expect_say("請輸入嚴重程度")
    c.hangup()
    c.expect_hangup()
    inc = hotline.wait_for(lambda: hotline.incident_for(c.sid), what="incident")
    assert inc.type_key == "cyber_security" and inc.source == "operator"


def _plain_report(hotline: Hotline, wav: Path, caller: str = "+886955123456") -> Incident:
    return hotline.incident_for(hotline.report("12", caller, wav).sid)


def test_operator_adds_a_voice_update_and_resolves_an_incident_by_reference(hotline, speech_wav):
    inc = _plain_report(hotline, speech_wav)
    c = hotline.sim.dial(SATELLITE_OPERATOR, HOTLINE)
    c.expect_say("備援通報員您好")
    c.press("2")
    c.expect_say("請輸入事件編號")
    _enter(c, inc.ref + "#", f"您輸入的是 {' '.join(inc.ref)}，天然災害")
    c.expect_say("新增語音更新")
    c.press("1")
    c.expect_say("請輸入密碼")  # caller ID chose the operator menu; acting on an incident needs the PIN
    c.press(OPERATOR_PIN + "#")
    c.expect_record()
    c.speak(speech_wav)
    c.press("#")
    c.expect_say("標記為已解決")
    c.press("2")  # no second PIN: one per call
    c.expect_say("事件已標記為解決")
    c.hangup()
    with hotline.session() as s:
        closed = s.get(Incident, inc.id)
        assert closed.status == "closed" and closed.closed_at is not None
        events = list(s.scalars(select(AuditEvent).where(AuditEvent.incident_id == inc.id)))
    closing = [e for e in events if e.kind == "status_closed"]
    assert len(closing) == 1 and closing[0].detail["via"] == "operator"  # who, and through which channel
    assert "voice_update" in [e.kind for e in events]
    update = hotline.wait_for(lambda: [r for r in hotline.recordings(inc.id) if r.kind == "update"], what="update")
    assert update[0].incident_id == inc.id


def test_unknown_number_is_refused_at_the_hidden_menu_without_the_pin(hotline):
    c = hotline.sim.dial("+886955000222", HOTLINE)
    c.expect_say("請選擇事件類型")
    c.press("*")
    c.expect_say("請輸入密碼")
    for _ in range(3):
        c.press("1111#")
    c.expect_say("無法進入")
    c.expect_say("請選擇事件類型")  # back at the emergency menu, never the operator menu
    c.hangup()
    assert not any("備援通報員" in s for s in c.said())
    ok = hotline.sim.dial("+886955000333", HOTLINE)
    ok.expect_say("請選擇事件類型")
    ok.press("*")
    ok.press(OPERATOR_PIN + "#")
    ok.expect_say("備援通報員您好")
    ok.hangup()
    ok.expect_hangup()
    row = hotline.wait_for(lambda: (r := hotline.call_row(ok.sid)) and r.status == "completed" and r, what="status")
    assert row.purpose == "operator" and not row.abandoned  # not a caller to call back
    pins_said = [e for e in hotline.audit() if OPERATOR_PIN in str(e.detail) or "1111" in str(e.detail)]
    assert not pins_said  # never logged
    assert not any(OPERATOR_PIN in s for s in ok.said())  # never read back


def test_five_wrong_pins_lock_the_caller_out_but_the_emergency_path_still_works(hotline, speech_wav):
    caller = "+886955000444"
    for _ in range(2):  # 3 + 2 = 5 failures over two calls
        c = hotline.sim.dial(caller, HOTLINE)
        c.expect_say("請選擇事件類型")
        c.press("*")
        c.press("9999#")
        c.press("9998#")
        c.press("9997#")
        c.expect_say("無法進入")
        c.hangup()
        c.expect_hangup()
    lockouts = [e for e in hotline.audit(kind="pin_lockout") if e.actor == caller]
    assert len(lockouts) == 1 and lockouts[0].detail["minutes"] == 15
    c = hotline.sim.dial(caller, HOTLINE)
    c.expect_say("請選擇事件類型")
    c.press("*")
    c.press(OPERATOR_PIN + "#")  # even the right PIN is refused during the lockout
    c.expect_say("無法進入")
    c.press("5")  # the emergency menu still works
    c.press("1")
    c.expect_record()
    c.speak(speech_wav)
    c.press("#")
    c.expect_hangup()
    inc = hotline.incident_for(c.sid)
    assert inc.type_key == "workplace_accident" and inc.severity == "danger"


def _run(hotline: Hotline, *args: str) -> subprocess.CompletedProcess[str]:
    import os

    env = {**os.environ, **hotline.env}
    return subprocess.run([sys.executable, str(ROOT / "run.py"), *args], env=env, capture_output=True, text=True,
                          timeout=120)


def test_admin_records_a_greeting_by_phone_and_the_next_caller_hears_it_then_rollback(hotline, speech_wav):
    c = hotline.sim.dial("+886955000555", HOTLINE)
    c.expect_say("請選擇事件類型")
    c.press("*")
    c.press(ADMIN_PIN + "#")
    c.expect_say("管理員您好")
    c.press("1")  # greeting
    c.expect_say("中文版本")
    c.press("1")  # zh-TW
    c.expect_record()
    c.speak(speech_wav)
    c.press("#")
    c.expect_say("這是剛才的錄音")
    take = c.expect_play("/prompts/greeting/zh-TW/v")
    c.press("1")
    c.expect_say("已發布")
    c.hangup()
    published = hotline.config.recordings_dir / "prompts" / "greeting" / "zh-TW" / "published.wav"
    with wave.open(str(published)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
        assert 1.0 < w.getnframes() / 8000 < 10.0
    assert take["url"].split("?")[0].endswith("/prompts/greeting/zh-TW/v1.wav") and "&s=" in take["url"]  # signed

    caller = hotline.sim.dial("+886955000666", HOTLINE)
    caller.expect_play("/prompts/greeting/zh-TW.wav")
    caller.expect_say("請選擇事件類型")
    caller.hangup()

    out = _run(hotline, "prompts", "rollback", "greeting", "zh-TW")
    assert out.returncode == 0 and "back to text-to-speech" in out.stdout, out.stderr
    again = hotline.sim.dial("+886955000777", HOTLINE)
    again.expect_say("這裡是Example Org緊急通報專線")  # TTS again
    again.hangup()
    assert not any(e["kind"] == "play" for e in again.events)


def test_upload_of_an_mp3_prompt_is_converted_and_played(hotline, speech_wav, tmp_path):
    mp3 = tmp_path / "menu.mp3"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(speech_wav), "-ac", "2", "-ar", "44100",
                    str(mp3)], check=True)
    out = _run(hotline, "prompts", "upload", "menu_intro", "en-US", str(mp3))
    assert out.returncode == 0 and "published" in out.stdout, out.stderr
    path = hotline.config.recordings_dir / "prompts" / "menu_intro" / "en-US" / "published.wav"
    with wave.open(str(path)) as w:
        assert (w.getframerate(), w.getnchannels()) == (8000, 1)
    listing = _run(hotline, "prompts", "list")
    assert "menu_intro: zh-TW=TTS, en-US=recorded v1" in listing.stdout
    bad = _run(hotline, "prompts", "upload", "menu_intro", "en-US", str(tmp_path / "missing.mp3"))
    assert bad.returncode == 1 and "missing.mp3" in bad.stderr
    c = hotline.sim.dial("+886955000888", HOTLINE)
    c.expect_say("For English, press 9")
    c.press("9")
    c.expect_play("/prompts/menu_intro/en-US.wav")
    c.hangup()
    with hotline.session() as s:
        assert s.scalar(select(AuditEvent).where(AuditEvent.kind == "prompt_uploaded")) is not None
        assert s.scalar(select(Recording).where(Recording.kind == "prompt")) is None  # prompts aren't reports
