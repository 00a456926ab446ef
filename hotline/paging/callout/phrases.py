"""Every sentence a responder hears or reads, per language, and the keys their menus offer.

One table per language with the same keys and the same {placeholders} (a test holds them
to that), so adding a sentence in one language and forgetting the other fails in CI, not
on a 3 a.m. call. The digit tables are the ones the handlers dispatch on
(`callout.conversation`, `hotline.paging.callout.states.DIGIT_INTENTS`), so the menu can never announce a
key that does something else.

The responder's language is their first listed language the hotline speaks: they are being
woken up, so they should hear the language they are most at home in.
"""

from __future__ import annotations

from collections.abc import Sequence
from string import Formatter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hotline.base.config import Config
from hotline.base.languages import pick_language


class Key:
    """What a key does on the responder's menus (values are also the text keys' suffixes)."""

    ACCEPT = "accept"
    RECORDING = "recording"
    DECLINE = "decline"  # pass to the next person
    REPEAT = "repeat"
    CONNECT = "connect"
    DETAILS = "details"  # an event's custom details (offered only when a report came from the events API)
    CONFIRM_CRISIS = "confirm_crisis"  # the report is real: activate the crisis plan
    FALSE_ALARM = "false_alarm"


# Digit -> action, in the order the menu reads them out.
MENU_KEYS: dict[str, str] = {"1": Key.ACCEPT, "2": Key.RECORDING, "3": Key.DECLINE, "4": Key.DETAILS,
                             "9": Key.REPEAT}
CONNECT_KEYS: dict[str, str] = {"1": Key.CONNECT, "9": Key.REPEAT}  # after accepting, with a callback number
VERIFY_KEYS: dict[str, str] = {"7": Key.CONFIRM_CRISIS, "8": Key.FALSE_ALARM}  # after accepting, when a plan exists

FALLBACK_LANGUAGE = "en-US"  # only when the hotline speaks no language we have sentences for

TEXTS: dict[str, dict[str, str]] = {
    "en-US": {
        "drill_notice": "This is a drill.",
        "intro": "This is the {org} crisis hotline. A {type} report, severity {severity}, came in at {time} "
                 "from {caller}.",
        "intro_storm": "This is the {org} crisis hotline. {count} reports of type {type} came in, "
                       "the first at {first}, the latest at {latest}.",
        "storm_danger": "{count} of them say someone may be in danger.",
        "caller_said": "The caller said: {transcript}",
        "report_said": "Report {ref} said: {transcript}",
        "caller_number": "the number {digits}",
        "caller_withheld": "a withheld number",
        "severity_danger": "high: someone may be in danger",
        "severity_normal": "normal",
        "severity_unknown": "not given",
        "menu_accept": "Press {key} to accept.",
        "menu_recording": "Press {key} to hear the caller's own recording.",
        "menu_decline": "Press {key} to pass to the next person.",
        "menu_repeat": "Press {key} to repeat.",
        "storm_menu_accept": "Press {key} to accept all of them.",
        "storm_menu_recording": "Press {key} to hear the callers' recordings, one after another.",
        "storm_menu_decline": "Press {key} to pass to the next person.",
        "storm_menu_repeat": "Press {key} to repeat.",
        "connect_menu_connect": "Press {key} to be connected to the caller now.",
        "connect_menu_repeat": "Press {key} to hear the number again.",
        "connect_menu_confirm_crisis": "Press {key} to confirm the report is real and activate the crisis plan.",
        "connect_menu_false_alarm": "Press {key} to mark it a false alarm.",
        "crisis_activated": "The crisis plan is activated. The crisis team is being called now. Goodbye.",
        "false_alarm_noted": "Marked as a false alarm. Nothing was activated. Goodbye.",
        "verify_refused": "That could not be done: {reason}. Goodbye.",
        "invalid_key": "That key does nothing here.",
        "no_choice": "We did not hear a choice, so we will call the next person. Goodbye.",
        "passed": "Thank you. We will call the next person now. Goodbye.",
        "machine": "This is the {org} crisis hotline. A {type} report needs the on-call team. "
                   "Please call the hotline at {hotline} as soon as you can.",
        "accepted_one": "Thank you, {name}. You have accepted report {ref}.",
        "accepted_all": "Thank you, {name}. You have accepted all {count} reports.",
        "callback": "The caller's callback number is {number}.",
        "no_callback": "The caller did not leave a callback number.",
        "connecting": "Connecting you to the caller now.",
        "call_ended": "The call with the caller has ended. Goodbye.",
        "connect_failed": "We could not reach the caller. Please try again later on {number}. Goodbye.",
        "their_number": "their number",
        "already_accepted": "Thank you. This report was already accepted by {name}. Goodbye.",
        "stopped": "Thank you. This callout has been stopped, nothing more is needed. Goodbye.",
        "no_longer_needed": "This call is no longer needed. Goodbye.",
        "recording_label": "Recording {n} of {total}, report {ref}.",
        "recording_label_one": "The caller's recording.",
        "recordings_not_ready": "The recording is not ready yet.",
        "recording_not_ready": "This recording is not ready yet.",
        "recording_failed": "This recording could not be fetched. Call the caller back on the number given.",
        "goodbye": "Goodbye.",
        "failure": "This is the crisis hotline. Something went wrong on our side while reading you the report. "
                   "Please call the hotline at {number} now.",
        "failure_no_number": "This is the crisis hotline. Something went wrong on our side while reading you "
                             "the report. Please call the hotline now.",
        "sms_acceptor_one": "{org} hotline: you accepted {danger}{type} report {ref}. "
                            "Caller callback number: {callback}.",
        "sms_acceptor_many": "{org} hotline: you accepted {danger}{count} {type} reports ({refs}). "
                             "Caller callback number: {callback}.",
        "sms_danger": "DANGER, ",
        "sms_no_callback": "none given",
        "sms_link": "\nDetails (log in): {url}",
        "sms_caller": "Your report {ref} was accepted by the on-call team at {time}.",
        "event_source": "the monitoring source {source}",
        "event_said": "The alert says: {summary}",
        "event_details": "Details of report {ref}: {details}",
        "event_no_details": "There are no further details.",
        "menu_details": "Press {key} to hear the alert's details.",
        "storm_menu_details": "Press {key} to hear the alerts' details.",
    },
    "zh-TW": {
        "drill_notice": "這是演練。",
        "intro": "這裡是{org}緊急通報專線。{time}收到一件{type}通報，嚴重程度：{severity}，來自{caller}。",
        "intro_storm": "這裡是{org}緊急通報專線。共收到 {count} 件{type}通報，第一件在{first}，最新一件在{latest}。",
        "storm_danger": "其中 {count} 件表示可能有人有危險。",
        "caller_said": "通報人說：{transcript}",
        "report_said": "通報 {ref} 說：{transcript}",
        "caller_number": "電話號碼 {digits}",
        "caller_withheld": "隱藏的號碼",
        "severity_danger": "高，可能有人有危險",
        "severity_normal": "一般",
        "severity_unknown": "未提供",
        "menu_accept": "受理請按{key}。",
        "menu_recording": "收聽通報人的錄音請按{key}。",
        "menu_decline": "轉給下一位請按{key}。",
        "menu_repeat": "重聽請按{key}。",
        "storm_menu_accept": "全部受理請按{key}。",
        "storm_menu_recording": "逐一收聽通報人的錄音請按{key}。",
        "storm_menu_decline": "轉給下一位請按{key}。",
        "storm_menu_repeat": "重聽請按{key}。",
        "connect_menu_connect": "立即與通報人通話請按{key}。",
        "connect_menu_repeat": "再聽一次號碼請按{key}。",
        "connect_menu_confirm_crisis": "確認通報屬實並啟動危機應變計畫請按{key}。",
        "connect_menu_false_alarm": "標記為誤報請按{key}。",
        "crisis_activated": "危機應變計畫已啟動，現在正在通知危機小組。再見。",
        "false_alarm_noted": "已標記為誤報，沒有啟動任何計畫。再見。",
        "verify_refused": "無法完成：{reason}。再見。",
        "invalid_key": "這個按鍵無效。",
        "no_choice": "我們沒有收到按鍵，現在會聯絡下一位。再見。",
        "passed": "謝謝。我們現在會聯絡下一位。再見。",
        "machine": "這裡是{org}緊急通報專線。有一件{type}通報需要值班人員處理。請盡快回撥專線 {hotline}。",
        "accepted_one": "謝謝，{name}。您已受理通報 {ref}。",
        "accepted_all": "謝謝，{name}。您已受理全部 {count} 件通報。",
        "callback": "通報人的回電號碼是 {number}。",
        "no_callback": "通報人沒有留下回電號碼。",
        "connecting": "正在為您接通通報人。",
        "call_ended": "與通報人的通話已結束。再見。",
        "connect_failed": "無法接通通報人。請稍後再撥 {number}。再見。",
        "their_number": "通報人的號碼",
        "already_accepted": "謝謝。這件通報已由 {name} 受理。再見。",
        "stopped": "謝謝。這次聯絡已經停止，不需要再做什麼。再見。",
        "no_longer_needed": "這通電話已經不需要了。再見。",
        "recording_label": "第 {n} 段錄音，共 {total} 段，通報 {ref}。",
        "recording_label_one": "通報人的錄音。",
        "recordings_not_ready": "錄音還沒準備好。",
        "recording_not_ready": "這段錄音還沒準備好。",
        "recording_failed": "這段錄音無法取得，請依提供的號碼回電給通報人。",
        "goodbye": "再見。",
        "failure": "這裡是緊急通報專線。為您讀取通報時，我們的系統發生問題。請立即撥打專線 {number}。",
        "failure_no_number": "這裡是緊急通報專線。為您讀取通報時，我們的系統發生問題。請立即撥打專線。",
        "sms_acceptor_one": "{org}專線：您已受理{danger}{type}通報 {ref}。通報人回電號碼：{callback}。",
        "sms_acceptor_many": "{org}專線：您已受理{danger}{count} 件{type}通報（{refs}）。通報人回電號碼：{callback}。",
        "sms_danger": "【有危險】",
        "sms_no_callback": "未提供",
        "sms_link": "\n詳情（需登入）：{url}",
        "sms_caller": "您的通報 {ref} 已於 {time} 由值班人員受理。",
        "event_source": "監控來源 {source}",
        "event_said": "警報內容：{summary}",
        "event_details": "通報 {ref} 的詳細資料：{details}",
        "event_no_details": "沒有其他詳細資料。",
        "menu_details": "收聽警報詳細資料請按{key}。",
        "storm_menu_details": "收聽各警報詳細資料請按{key}。",
    },
}
LANGUAGES: tuple[str, ...] = tuple(TEXTS)


def responder_language(preferred: Sequence[str], hotline: Sequence[str]) -> str:
    """The first of the person's languages the hotline speaks, else the hotline's default.

    Only languages we have sentences for count: a hotline may take reports in a language no
    responder sentence exists for yet, and a responder must never hear a missing-text error.
    """
    return pick_language(preferred, hotline, TEXTS, FALLBACK_LANGUAGE)


def person_language(cfg: Config, person_key: str | None) -> str:
    """Looked up from the person key on every webhook: a dict lookup, and no column to keep in step."""
    person = cfg.people.get(person_key or "")
    return responder_language(person.languages if person else (), cfg.languages)


def usable(lang: str | None, hotline: Sequence[str]) -> str:
    """`lang` if we have sentences for it (an incident's language, say), else the hotline's default."""
    return responder_language([lang] if lang else [], hotline)


def text(lang: str, key: str, /, **values: object) -> str:
    """One sentence in `lang`; a missing key is a bug the template test catches, so it raises."""
    return TEXTS[lang][key].format(**values)


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(template) if name}


def menu_text(lang: str, keys: dict[str, str], prefix: str) -> str:
    """The menu read out from the same digit table the handler dispatches on."""
    return " ".join(text(lang, f"{prefix}_{action}", key=digit) for digit, action in keys.items())
