"""zh-TW for the drills pages; merged into the console's table by `hotline.console.i18n` (one line),
kept here so the move to gettext catalogs can take them in one piece."""

from __future__ import annotations

ZH_DRILLS: dict[str, str] = {
    "Drills": "演練", "Trend": "趨勢", "Time to accept per drill": "每次演練的受理時間",
    "Answer rate per person": "每人接聽率", "Kind": "形式", "State": "狀態", "Participants": "參與者",
    "Started": "開始時間", "No drills yet.": "尚無演練。", "New drill": "新增演練", "Scenario": "情境",
    "(as below)": "（依下列設定）", "Policy": "通報政策", "(people only)": "（僅指定人員）", "Report": "通報內容",
    "Start now": "立即開始", "Create drill": "建立演練", "run by": "主持人", "Start": "開始", "Inject": "插入事件",
    "Finish": "結束", "reason": "原因", "Yes, stop this drill": "確定停止此演練", "Stop drill": "停止演練",
    "Download CSV": "下載 CSV", "Printable report": "列印版報告", "All drills": "所有演練", "Results": "結果",
    "Report to first ring": "通報至第一通響鈴", "Report to first answer": "通報至第一次接聽",
    "Report to accept": "通報至受理", "never": "從未", "People": "人員", "Person": "人員", "Rang": "響鈴",
    "Answered": "接聽", "Accepted": "受理", "First answer (s)": "首次接聽（秒）", "Failed steps": "失敗的步驟",
    "Missed targets": "未達目標", "None: every target met.": "無：全部達標。", "Timeline": "時間軸",
    "tabletop": "桌上演練", "simulation": "模擬演練", "full_scale": "全面演練", "surprise": "無預警演練",
    "scheduled": "已排定", "waiting": "等待中", "running": "進行中", "stopped": "已停止", "finished": "已完成",
    "the first responder does not answer": "第一位負責人不接聽", "a second report arrives": "第二件通報到來",
    "Twilio fails for 2 minutes": "Twilio 故障 2 分鐘",
    "Browser phones": "瀏覽器電話", "One tab each, by person:": "每人一個分頁：",
    "Tick the box to confirm stopping the drill.": "請勾選方框以確認停止演練。",
}
