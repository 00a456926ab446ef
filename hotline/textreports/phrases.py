"""What the hotline texts back to someone reporting by SMS, in their language (en-US, zh-TW;
another configured language gets English)."""

from __future__ import annotations

from typing import Any

PHRASES: dict[str, dict[str, str]] = {
    "en-US": {
        "received": "Hotline: report {ref} received. Reply with the number of what happened: {menu}. "
                    "If you can talk and are in danger, call {number}.",
        "classified": "Thank you. Report {ref}: {type}. We are calling the people on duty now. "
                      "Text here to add anything.",
        "added": "Added to report {ref}.",
        "added_menu": "Added to report {ref}. Reply with the number of what happened: {menu}.",
        "help": "Hotline: text what happened and where to report an emergency; you get a reference number. "
                "Call {number} if you can talk. Reply STOP to stop texts.",
        "picked_up": "Hotline: your report {ref} has been picked up; someone is on it. Text here to add anything.",
        "message": "Hotline, about report {ref}: {body}",
    },
    "zh-TW": {
        "received": "專線：已收到通報 {ref}。請回覆發生狀況的代號：{menu}。若能通話且有危險，請撥 {number}。",
        "classified": "謝謝。通報 {ref}：{type}。我們正在聯絡值班人員。如有補充，請直接回覆此訊息。",
        "added": "已加入通報 {ref}。",
        "added_menu": "已加入通報 {ref}。請回覆發生狀況的代號：{menu}。",
        "help": "專線：傳送發生的狀況與地點即可通報緊急事件，您會收到通報編號。"
                "能通話請撥 {number}。回覆 STOP 停止簡訊。",
        "picked_up": "專線：您的通報 {ref} 已有人接手處理。如有補充，請直接回覆此訊息。",
        "message": "專線（通報 {ref}）：{body}",
    },
}


def say(lang: str, key: str, **values: Any) -> str:
    return PHRASES.get(lang, PHRASES["en-US"])[key].format(**values)
