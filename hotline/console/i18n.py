"""zh-TW and English for the console: the browser's Accept-Language picks, a cookie overrides.

Strings are keyed by their English text so templates stay readable; a missing zh-TW entry shows
English rather than a blank, which is better than nothing for a responder at night.
"""

from __future__ import annotations

from flask import Blueprint, Flask, g, redirect, request
from werkzeug.wrappers import Response

LANGS = ("zh-TW", "en-US")
COOKIE = "console_lang"

ZH: dict[str, str] = {
    "Incidents": "事件", "Rota": "值班", "Prompts": "語音提示", "Health": "系統狀態", "Phones": "模擬電話",
    "Log in": "登入", "Log out": "登出", "User": "使用者", "Password": "密碼",
    "Wrong user name or password.": "使用者名稱或密碼錯誤。", "Please log in.": "請登入。",
    "Reference": "編號", "Type": "類型", "Severity": "嚴重程度", "Status": "狀態", "Caller": "來電者",
    "Age": "經過時間", "Accepted by": "受理人", "Drill": "演練", "all": "全部", "drills only": "僅演練",
    "real only": "僅真實事件", "Filter": "篩選", "Call back": "需回電", "Abandoned calls": "未完成的來電",
    "No incidents.": "沒有事件。", "Recordings": "錄音", "Transcript": "逐字稿", "Callout": "通知呼叫",
    "Timeline": "紀錄", "Person": "人員", "Time": "時間", "Ring time": "響鈴時間", "Outcome": "結果",
    "Round": "輪次", "Actions": "操作", "Accept on behalf of": "代為受理", "Accept": "受理",
    "Cancel the callout": "取消通知呼叫", "Reason": "原因", "Close with a note": "附註並結案", "Close": "結案",
    "Add a note": "新增附註", "Note": "附註", "Save note": "儲存附註", "No callout yet.": "尚未開始通知呼叫。",
    "No transcript.": "沒有逐字稿。", "No recordings.": "沒有錄音。", "On call now": "目前值班",
    "Next": "下一位", "from": "自", "until": "至", "Escalation order now": "目前的通知順序",
    "Prompt": "提示", "Language": "語言", "Text": "文字", "Source": "來源", "recorded": "錄音",
    "TTS": "語音合成", "Versions": "版本", "Upload": "上傳", "Publish": "發布", "Roll back": "還原上一版",
    "Listen": "試聽", "Redis": "Redis", "Database": "資料庫", "Workers": "背景工作程序", "Queues": "佇列",
    "Models": "語音辨識模型", "Mode": "模式", "ok": "正常", "down": "無法連線", "Refresh": "重新整理",
    "new": "新進", "paging": "呼叫中", "accepted": "已受理", "unacknowledged": "無人回應", "closed": "已結案",
    "danger": "危急", "normal": "一般", "unknown": "不明", "Dial the hotline": "撥打專線", "Hang up": "掛斷",
    "Answer": "接聽", "Decline": "拒接", "Ringing": "來電中", "Phone": "電話", "Open a phone": "開啟電話",
    "Use the microphone": "使用麥克風", "Send a file": "傳送檔案", "Stop and send": "結束並傳送",
    "Only administrators can do this.": "只有管理員可以執行此操作。", "Done.": "完成。",
    "The sim is not running: the hotline uses Twilio.": "模擬器未執行：專線使用 Twilio。",
    "Paging stopped.": "已停止呼叫。", "Nothing is being paged.": "目前沒有在呼叫。", "Stop paging": "停止呼叫",
    "Say why paging should stop.": "請說明停止呼叫的原因。", "Page again": "重新呼叫", "Paging again.": "重新呼叫中。",
    "Paging was not stopped.": "呼叫並未停止。", "Reopen": "重新開啟", "Incident reopened.": "事件已重新開啟。",
    "It is not closed.": "事件尚未結案。", "Already closed.": "已結案。", "Accepted.": "已受理。",
    "Already accepted by someone else.": "已由他人受理。", "Empty note.": "附註是空的。",
    "No such incident.": "沒有這個事件。", "Paging stopped": "已停止呼叫", "paging stopped by": "停止呼叫者：",
    "stopped": "已停止呼叫",
    "Incident closed.": "事件已結案。", "Note saved.": "附註已儲存。", "Uploaded as version": "已上傳為版本",
    "Published.": "已發布。", "Rolled back.": "已還原。", "Back to text-to-speech.": "已改回語音合成。",
    "Sessions expire after": "登入逾時：", "hours": "小時", "The callout is over.": "通知呼叫已結束。",
    "Already accepted by": "已由此人受理：", "ago": "前", "viewer": "檢視者", "admin": "管理員",
    "Page not found.": "找不到此頁面。", "Dial": "撥號", "Keypad": "按鍵", "Call log": "通話紀錄",
    "Speak now, then press # or Stop and send.": "請開始說話，完成後按 # 或「結束並傳送」。",
}


def pick(cookie: str | None) -> str:
    """The cookie wins; then the browser's preference, with any zh → zh-TW and any en → en-US."""
    if cookie in LANGS:
        return str(cookie)
    best = request.accept_languages.best_match(["zh-TW", "zh", "zh-Hant", "en-US", "en"], default="zh-TW")
    return "en-US" if best.startswith("en") else "zh-TW"


def gettext(text: str, **values: object) -> str:
    """`text` in the viewer's language; `%(name)s` placeholders filled after translating, so a
    translation may move them (the convention of gettext and Flask-Babel)."""
    found = ZH.get(text, text) if getattr(g, "lang", "zh-TW") == "zh-TW" else text
    return found % values if values else found


bp = Blueprint("console_i18n", __name__)


@bp.get("/console/lang/<code>")
def switch(code: str) -> Response:
    """A plain link (no form): choosing a language changes nothing but this browser's cookie."""
    target = request.args.get("next", "/console/")
    if not target.startswith("/") or target.startswith("//"):
        target = "/console/"
    response = redirect(target)
    if code in LANGS:
        response.set_cookie(COOKIE, code, max_age=365 * 86400, samesite="Lax", httponly=True)
    return response


def register(app: Flask) -> None:
    app.register_blueprint(bp)

    @app.before_request
    def _lang() -> None:
        g.lang = pick(request.cookies.get(COOKIE))

    app.jinja_env.globals.update(_=gettext, LANGS=LANGS)
