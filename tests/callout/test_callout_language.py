"""The responder hears and reads the callout in their own language; the caller's SMS is in theirs.

Pure tests of the language choice and the sentence tables, then end to end through the sim
with the repository's own people: chen prefers zh-TW (as in config.toml), lin is made
English-first, and whoever loses the race hears "already accepted" in their own language.
"""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from hotline.base.config import Person, load_config
from hotline.base.models import Incident, IncidentStatus
from hotline.paging.callout import briefing, sms
from hotline.paging.callout.phrases import (
    CONNECT_KEYS,
    FALLBACK_LANGUAGE,
    MENU_KEYS,
    TEXTS,
    person_language,
    placeholders,
    responder_language,
    usable,
)
from hotline.paging.callout.states import CalloutState, digit_intent
from hotline.paging.models import Callout
from hotline.responder.conversation import Kind, Reply, closed_text
from hotline.responder.twiml import failure, render
from tests.support import e2e
from tests.support.e2e import (
    CALLER,
    CHEN,
    LIN,
    quiet_phones,  # noqa: F401  (autouse)
)
from tests.support.lanes import starts_processes

HOTLINE_LANGS = ("zh-TW", "en-US")
AT = datetime(2026, 3, 2, 1, 5, tzinfo=UTC)  # 09:05 in Taipei


# --- choosing the language ---------------------------------------------------------------

@pytest.mark.parametrize(("preferred", "hotline", "expected"), [
    (["zh-TW", "en-US"], HOTLINE_LANGS, "zh-TW"),
    (["en-US", "zh-TW"], HOTLINE_LANGS, "en-US"),
    (["zh-TW"], ("en-US", "zh-TW"), "zh-TW"),
    (["ja-JP", "en-US"], HOTLINE_LANGS, "en-US"),  # the first one the hotline speaks, not the first listed
    (["ja-JP"], HOTLINE_LANGS, "zh-TW"),  # none spoken: the hotline's default
    ([], HOTLINE_LANGS, "zh-TW"),
    ([], ("en-US", "zh-TW"), "en-US"),
    (["ja-JP"], ("ja-JP", "en-US"), "en-US"),  # a hotline language with no responder sentences is skipped
    (["ja-JP"], ("ja-JP",), FALLBACK_LANGUAGE),
])
def test_responder_language_is_the_first_preferred_one_the_hotline_speaks(preferred, hotline, expected):
    assert responder_language(preferred, hotline) == expected


def test_person_language_looks_the_person_up_and_defaults_for_strangers():
    cfg: Any = SimpleNamespace(languages=HOTLINE_LANGS, people={
        "chen": Person("chen", "Chen Wei", "+886912000001", ("zh-TW", "en-US")),
        "amy": Person("amy", "Amy", "+886912000005", ("en-US",)),
        "mute": Person("mute", "No Languages", "+886912000006", ()),
    })
    assert [person_language(cfg, key) for key in ("chen", "amy", "mute", "gone", None)] == \
        ["zh-TW", "en-US", "zh-TW", "zh-TW", "zh-TW"]


def test_an_incident_language_without_sentences_falls_back_to_the_hotline_default():
    assert [usable(lang, HOTLINE_LANGS) for lang in ("en-US", "zh-TW", "ko-KR", None)] == \
        ["en-US", "zh-TW", "zh-TW", "zh-TW"]


# --- the sentence tables -----------------------------------------------------------------

def test_every_sentence_exists_in_both_languages_with_the_same_placeholders():
    assert set(TEXTS) == {"zh-TW", "en-US"}
    english = TEXTS["en-US"]
    for lang, table in TEXTS.items():
        assert set(table) == set(english), f"{lang}: differs by {set(english) ^ set(table)}"
        for key, template in table.items():
            assert template.strip(), f"{lang}.{key} is empty"
            assert placeholders(template) == placeholders(english[key]), f"{lang}.{key} placeholders differ"


def test_every_menu_key_and_severity_has_a_sentence():
    for table in TEXTS.values():
        for action in MENU_KEYS.values():
            assert f"menu_{action}" in table and f"storm_menu_{action}" in table
        for action in CONNECT_KEYS.values():
            assert f"connect_menu_{action}" in table
        for severity in ("danger", "normal", "unknown"):  # hotline.base.models.Incident.severity
            assert f"severity_{severity}" in table


def test_the_menu_reads_out_the_keys_the_handler_acts_on():
    assert briefing.menu(1, "en-US").startswith("Press 1 to accept. Press 2 to hear the caller's own recording.")
    assert briefing.menu(1, "zh-TW") == "受理請按1。 收聽通報人的錄音請按2。 轉給下一位請按3。 重聽請按9。"
    assert briefing.menu(5, "zh-TW").startswith("全部受理請按1。")
    assert briefing.connect_menu("zh-TW") == "立即與通報人通話請按1。 再聽一次號碼請按9。"
    assert (digit_intent("1"), digit_intent("3"), digit_intent("2"), digit_intent("9")) == \
        ("accept", "decline", None, None)


def test_the_briefing_in_chinese():
    report = briefing.Report("4821", "資訊安全", "danger", AT, "+886912345678", "伺服器被入侵")
    assert briefing.intro("範例機構", [report], "Asia/Taipei", "zh-TW") == [
        "這裡是範例機構緊急通報專線。09:05收到一件資訊安全通報，嚴重程度：高，可能有人有危險，"
        "來自電話號碼 8 8 6 9 1 2 3 4 5 6 7 8。",
        "通報人說：伺服器被入侵",
    ]
    storm = briefing.intro("範例機構", [report, report], "Asia/Taipei", "zh-TW")
    assert storm[0].startswith("這裡是範例機構緊急通報專線。共收到 2 件資訊安全通報") and "其中 2 件" in storm[1]
    assert briefing.accepted("陳偉", [report], None, "zh-TW") == ["謝謝，陳偉。您已受理通報 4 8 2 1。",
                                                                 "通報人沒有留下回電號碼。"]
    assert briefing.severity_words("odd", "zh-TW") == "odd"  # an unknown value is read, not hidden


def test_already_accepted_and_stopped_in_each_language():
    taken = Callout(state=CalloutState.ACCEPTED, accepted_by="lin", accepted_by_name="Lin Mei")
    assert closed_text(taken, "zh-TW") == "謝謝。這件通報已由 Lin Mei 受理。再見。"
    assert closed_text(taken, "en-US") == "Thank you. This report was already accepted by Lin Mei. Goodbye."
    assert closed_text(Callout(state=CalloutState.CANCELLED), "zh-TW").startswith("謝謝。這次聯絡已經停止")


def test_sms_texts_in_each_language():
    one = [Incident(ref="4821", severity="danger", callback_number="+886912345678")]
    assert sms.acceptor_summary("範例機構", "資訊安全", one, "zh-TW") == \
        "範例機構專線：您已受理【有危險】資訊安全通報 4821。通報人回電號碼：+886912345678。"
    many = [Incident(ref=str(n), severity="normal", callback_number=None) for n in (11, 12)]
    assert sms.acceptor_summary("Org", "supply chain", many, "en-US") == \
        "Org hotline: you accepted 2 supply chain reports (11, 12). Caller callback number: none given."
    assert sms.caller_notice(one[0], AT, "Asia/Taipei", "zh-TW") == "您的通報 4821 已於 09:05 由值班人員受理。"
    link = sms.incident_link("https://hotline.example.org/", 7)
    assert link == "https://hotline.example.org/console/incidents/7"
    assert sms.acceptor_summary("Org", "supply chain", many, "en-US", link).endswith(
        "none given.\nDetails (log in): https://hotline.example.org/console/incidents/7")
    assert sms.acceptor_summary("範例機構", "資訊安全", one, "zh-TW", link).endswith(
        "+886912345678。\n詳情（需登入）：https://hotline.example.org/console/incidents/7")


def test_twiml_says_every_line_in_the_reply_language(config_file):
    cfg = load_config(config_file())
    reply = Reply(Kind.MENU, ("第一句。",), briefing.menu(1, "zh-TW"), language="zh-TW")
    xml = str(render(cfg, 7, reply))
    zh = cfg.voices.say("zh-TW")
    assert xml.count(f'<Say language="{zh["language"]}" voice="{zh["voice"]}">') == 2 and "en-US" not in xml
    accepted = str(render(cfg, 7, Reply(Kind.ACCEPTED, ("謝謝。",), language="zh-TW")))
    assert "再見。" in accepted and "Goodbye" not in accepted


def test_failure_is_in_the_responder_language_or_in_every_language_when_unknown(config_file):
    cfg = load_config(config_file())
    known = str(failure(cfg, "zh-TW"))
    assert "請立即撥打專線 8 8 6 2 7 7 0 0 1 2 3 4" in known and "en-US" not in known
    unknown = str(failure(cfg, None))
    assert unknown.index('language="cmn-TW"') < unknown.index('language="en-US"')  # the hotline's default first
    assert "Please call the hotline at 8 8 6" in unknown
    assert "Please call the hotline now." in str(failure(None))


# --- end to end --------------------------------------------------------------------------

SPOKEN_ZH = "cmn-TW"  # zh-TW's <Say language>: the ID Twilio files its Taiwanese Mandarin voices under

@pytest.fixture(scope="module")
@starts_processes
def h(redis_url, tmp_path_factory):
    """The repository's languages, except lin, who prefers English here."""
    hotline = e2e.make_hotline(tmp_path_factory.mktemp("callout-language"), redis_url, "sqlite",
                               languages={"lin": ["en-US", "zh-TW"]})
    yield hotline
    hotline.close()


def both_on_the_line(h, keys: str):
    """A report; chen answers and hears the menu but dithers past the answer timeout, so lin is
    rung while chen is still on the line; lin answers and hears the menu too."""
    inc = e2e.report(h, keys)
    chen = e2e.next_call(h, CHEN)
    chen.answer()
    chen_menu = chen.expect_say("受理請按1")
    callout = e2e.callout_of(h, inc.id)
    assert callout is not None
    e2e.fire_wake(h, callout.id)  # ring timeout: chen answered, so the answer timeout applies
    e2e.fire_wake(h, callout.id)  # answer timeout: lin is rung as well
    lin = e2e.next_call(h, LIN)
    lin.answer()
    lin_menu = lin.expect_say("Press 1 to accept")
    assert (chen_menu["language"], lin_menu["language"]) == (SPOKEN_ZH, "en-US")
    return inc, chen, lin


def test_chinese_responder_accepts_and_the_english_one_is_told_in_english(h):
    inc, chen, lin = both_on_the_line(h, "12")  # a Chinese-speaking caller
    brief = chen.said()
    assert any("緊急通報專線" in line and "天然災害" in line for line in brief), brief
    assert not any("crisis hotline" in line for line in brief)
    assert any("natural disaster" in line for line in lin.said())
    chen.press("1")
    thanks = chen.expect_say("謝謝，Chen Wei。您已受理通報")
    assert thanks["language"] == SPOKEN_ZH
    chen.expect_say("通報人的回電號碼是 " + " ".join(CALLER.lstrip("+")))
    told = lin.expect_say("This report was already accepted by Chen Wei", timeout=20)
    assert told["language"] == "en-US"
    lin.expect_hangup()
    summary = h.sim.phone(CHEN).expect_sms(f"您已受理天然災害通報 {inc.ref}", timeout=20)
    assert CALLER in summary["body"]
    h.sim.phone(CALLER).expect_sms(f"您的通報 {inc.ref} 已於", timeout=20)
    h.wait_for(lambda: e2e.incident(h, inc.id).status == IncidentStatus.ACCEPTED, what="accepted")


def test_english_responder_accepts_and_the_chinese_one_is_told_in_chinese(h):
    inc, chen, lin = both_on_the_line(h, "912")  # 9: the caller switches the hotline to English
    assert e2e.incident(h, inc.id).language == "en-US"
    assert any("天然災害" in line for line in chen.said())  # the type in chen's language, not the caller's
    lin.press("1")
    lin.expect_say("Thank you, Lin Mei. You have accepted report")
    chen.press("1")  # too late: chen's attempt timed out, so it is the menu, not the close-out, that tells
    told = chen.expect_say("這件通報已由 Lin Mei 受理", timeout=20)
    assert told["language"] == SPOKEN_ZH
    chen.expect_hangup()
    h.sim.phone(LIN).expect_sms(f"you accepted natural disaster report {inc.ref}", timeout=20)
    h.sim.phone(CALLER).expect_sms(f"Your report {inc.ref} was accepted by the on-call team at", timeout=20)


def test_a_broken_webhook_still_tells_the_responder_in_their_language(h, monkeypatch):
    import hotline.responder.conversation as conversation

    def broken(*args, **kwargs):
        raise RuntimeError("injected: the menu handler broke")

    e2e.report(h, "12")
    chen = e2e.next_call(h, CHEN)
    chen.answer()
    chen.expect_say("受理請按1")
    monkeypatch.setattr(conversation, "menu_choice", broken)
    chen.press("2")
    told = chen.expect_say("系統發生問題。請立即撥打專線 8 8 6 2 7 7 0 0 1 2 3 4")
    assert told["language"] == SPOKEN_ZH and not any("Something went wrong" in line for line in chen.said())
    chen.expect_hangup()
