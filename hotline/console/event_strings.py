"""zh-TW for what the console shows of an incident from the events API (merged into i18n.ZH)."""

from __future__ import annotations

ZH_EVENTS: dict[str, str] = {
    "Event": "監控警報", "Event details": "警報詳細資料", "events received": "次事件", "api": "監控系統",
}
