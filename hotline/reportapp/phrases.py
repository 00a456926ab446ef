"""What the app says on the phone, in the device's language (en-US, zh-TW; another configured
language gets English). The app is not a console page: it runs offline from its cache, so its
words travel with it as data (the page embeds the table for its language)."""

from __future__ import annotations

PHRASES: dict[str, dict[str, str]] = {
    "en-US": {
        "title": "Report",
        "lead": "Press what is happening. One press sends the report.",
        "note": "Note (optional)",
        "photo": "Photo (optional)",
        "share_location": "Send my location with reports",
        "location_off": "Location is not sent.",
        "location_none": "Location not available: the report is sent without it.",
        "waiting": "Waiting to send",
        "sending": "Sending…",
        "sent": "Received: report {ref}",
        "offline": "No connection: reports are kept on this phone and sent when it returns.",
        "not_enrolled": "This device is no longer enrolled. Ask an administrator for a new link, "
                        "or call the hotline.",
        "enrol_title": "Enrol this phone",
        "enrol_lead": "This phone will be able to send reports for {name} with one touch.",
        "enrol_button": "Enrol this phone",
        "enrol_bad": "This link was already used or has expired. Ask an administrator for a new one.",
        "recent": "Sent from this phone",
        "call": "If you can talk, call {number}.",
        "messages": "Messages from the hotline",
        "messages_on": "Report {ref}",
        "reply": "Reply to the hotline",
        "reply_send": "Send",
        "from_hotline": "Hotline",
        "from_me": "You",
        "memo_record": "Record a voice memo (optional)",
        "memo_stop": "Stop recording",
        "memo_recording": "Recording… (at most a minute)",
        "memo_ready": "Voice memo ready ({s} s): it goes with the next report.",
        "memo_refused": "The microphone is not available: report without a memo.",
    },
    "zh-TW": {
        "title": "通報",
        "lead": "按下發生的狀況，按一下即送出通報。",
        "note": "補充說明（可不填）",
        "photo": "照片（可不附）",
        "share_location": "通報時附上我的位置",
        "location_off": "不附位置。",
        "location_none": "無法取得位置：通報仍會送出，不附位置。",
        "waiting": "等待送出",
        "sending": "傳送中…",
        "sent": "已收到：通報 {ref}",
        "offline": "目前沒有網路：通報會先存在這支手機，恢復連線後自動送出。",
        "not_enrolled": "這支裝置已不再登記。請向管理員索取新的連結，或撥打專線。",
        "enrol_title": "登記這支手機",
        "enrol_lead": "登記後，這支手機可以一鍵替 {name} 送出通報。",
        "enrol_button": "登記這支手機",
        "enrol_bad": "這個連結已使用過或已過期，請向管理員索取新的連結。",
        "recent": "這支手機送出的通報",
        "call": "若能通話，請撥 {number}。",
        "messages": "專線的訊息",
        "messages_on": "通報 {ref}",
        "reply": "回覆專線",
        "reply_send": "送出",
        "from_hotline": "專線",
        "from_me": "我",
        "memo_record": "錄一段語音備忘（可不錄）",
        "memo_stop": "停止錄音",
        "memo_recording": "錄音中…（最多一分鐘）",
        "memo_ready": "語音備忘已錄好（{s} 秒）：會隨下一個通報送出。",
        "memo_refused": "無法使用麥克風：請不附語音備忘通報。",
    },
}


def table(lang: str) -> dict[str, str]:
    return PHRASES.get(lang, PHRASES["en-US"])


def language(wanted: str | None, languages: tuple[str, ...], fallback: str) -> str:
    """The app's language: the one asked for (the phone's), when the hotline speaks it."""
    if wanted:
        for lang in languages:
            if lang.lower() == wanted.lower() or lang.split("-")[0].lower() == wanted.split("-")[0].lower():
                return lang
    return fallback
