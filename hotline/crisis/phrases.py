"""Every sentence a crisis team member hears or reads, per language, and the keys of their call.

Same habits as `hotline.paging.callout.phrases`: one table per language with the same keys and placeholders,
and the digit table (`CALL_KEYS`) is what both the spoken menu and the handler use.
"""

from __future__ import annotations

from collections.abc import Sequence

from hotline.base.languages import pick_language


class Key:
    CONFIRM = "confirm"
    BRIDGE = "bridge"
    REPEAT = "repeat"


CALL_KEYS: dict[str, str] = {"1": Key.CONFIRM, "2": Key.BRIDGE, "9": Key.REPEAT}

ROLE_NAMES: dict[str, dict[str, str]] = {
    "en-US": {"management": "management", "communications": "communications", "it_security": "IT security",
              "legal": "legal", "hr": "HR"},
    "zh-TW": {"management": "管理", "communications": "公關溝通", "it_security": "資訊安全", "legal": "法務",
              "hr": "人資"},
}

TEXTS: dict[str, dict[str, str]] = {
    "en-US": {
        "call": "This is the {org} crisis hotline. A {type} crisis was activated, reference {ref}. "
                "You are the {role} lead{deputy}.",
        "deputy": ", standing in because the lead has not answered",
        "menu_confirm": "Press {key} to confirm.",
        "menu_bridge": "Press {key} to join the crisis bridge.",
        "menu_repeat": "Press {key} to repeat.",
        "confirmed": "Thank you, you are confirmed. Press 2 to join the crisis bridge now, or hang up.",
        "joining": "Joining the crisis bridge.",
        "no_choice": "We did not hear a choice. We will call you again. Goodbye.",
        "sms": "{org} crisis: a {type} crisis was activated (ref {ref}). You are the {role} lead{deputy}. "
               "Answer our call and press 1 to confirm, or call {hotline}.",
        "overdue": "{org} crisis {ref}: the step \"{step}\" (yours, {role}) was due at {due} and is not done yet.",
        "proposal": "{org} crisis: {who} proposes activating the {type} crisis plan for report {ref}. "
                    "You may activate it: open the console's report page.",
        "update_due": "{org} crisis {ref}: the next public statement was due at {due} ({ago} min ago). "
                      "Draft it in the console's crisis panel.",
        "goodbye": "Goodbye.",
        "over": "This crisis call is no longer needed. Goodbye.",
        "drill": "This is a drill.",
    },
    "zh-TW": {
        "call": "這裡是{org}緊急通報專線。{type}危機應變計畫已啟動，編號 {ref}。您是{role}負責人{deputy}。",
        "deputy": "（因原負責人未回應，由您代理）",
        "menu_confirm": "確認請按{key}。",
        "menu_bridge": "加入危機電話會議請按{key}。",
        "menu_repeat": "重聽請按{key}。",
        "confirmed": "謝謝，已確認。現在加入危機電話會議請按 2，或直接掛斷。",
        "joining": "正在加入危機電話會議。",
        "no_choice": "我們沒有收到按鍵，稍後會再打給您。再見。",
        "sms": "{org}危機：{type}危機應變計畫已啟動（編號 {ref}）。您是{role}負責人{deputy}。"
               "請接聽來電並按 1 確認，或撥打 {hotline}。",
        "overdue": "{org}危機 {ref}：您（{role}）負責的步驟「{step}」應於 {due} 完成，目前尚未完成。",
        "proposal": "{org}危機：{who} 提議為通報 {ref} 啟動{type}危機應變計畫。您可以啟動：請開啟主控台的通報頁面。",
        "update_due": "{org}危機 {ref}：下一份公開聲明應於 {due} 發布（已過 {ago} 分鐘）。請在主控台的危機面板撰寫。",
        "goodbye": "再見。",
        "over": "這通危機通知已不再需要。再見。",
        "drill": "這是演練。",
    },
}
LANGUAGES = tuple(TEXTS)


def language(preferred: Sequence[str], hotline: Sequence[str]) -> str:
    """As for responders: their first language we have sentences for."""
    return pick_language(preferred, hotline, TEXTS, LANGUAGES[0])


def text(lang: str, key: str, /, **values: object) -> str:
    return TEXTS[lang][key].format(**values)


def role_name(lang: str, role: str) -> str:
    return ROLE_NAMES.get(lang, ROLE_NAMES["en-US"]).get(role, role)


def menu(lang: str) -> str:
    return " ".join(text(lang, f"menu_{action}", key=digit) for digit, action in CALL_KEYS.items())


def for_drill(lang: str, drill: bool, words: str) -> str:
    """A drill crisis's every call and text begins with the drill notice, as a drill callout's does."""
    return f"{text(lang, 'drill')} {words}" if drill else words
