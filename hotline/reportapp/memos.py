"""A report's voice memo (at most a minute, recorded on the phone): stored on site in the
recording store, like the callers' recordings, once. It comes with the report; a report sent again
with its memo attaches the memo if the first sending's did not (so a lost answer loses nothing),
and never replaces one already stored."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.base import audit
from hotline.base.models import utcnow
from hotline.base.recording_store import RecordingStore
from hotline.reportapp.models import AppReport

MAX_BYTES = 2 * 1024 * 1024  # a minute of speech in any browser's codec, with room to spare
_MEMO = re.compile(r"^data:(audio/(?:webm|ogg|mp4|mpeg|aac|wav))(?:;[^,]*)?;base64,(.*)$", re.S)
_EXT = {"audio/webm": ".webm", "audio/ogg": ".ogg", "audio/mp4": ".m4a", "audio/mpeg": ".mp3",
        "audio/aac": ".aac", "audio/wav": ".wav"}


def read(raw: object) -> tuple[bytes, str] | None:
    """(the audio, its type) of a data: URL of a memo within the limit; else None (the report
    still goes, without it)."""
    if not isinstance(raw, str) or len(raw) > MAX_BYTES * 4 // 3 + 200:
        return None
    m = _MEMO.match(raw)
    if not m:
        return None
    try:
        data = base64.b64decode(m.group(2), validate=True)
    except (binascii.Error, ValueError):
        return None
    return (data, m.group(1)) if 0 < len(data) <= MAX_BYTES else None


def attach(s: Session, store: RecordingStore, device_id: int, client_id: str, data: bytes, kind: str,
           now: datetime | None = None) -> bool:
    """Store the memo of the device's report unless it has one; True when it was stored now."""
    report = s.scalar(select(AppReport).where(AppReport.device_id == device_id, AppReport.client_id == client_id))
    if report is None or report.incident_id is None or report.memo_path or report.memo_type:  # stored, or purged
        return False
    now = now or utcnow()
    location = store.put(f"app/{now:%Y/%m}/{report.incident_id}-{report.id}{_EXT[kind]}", data)
    report.memo_path, report.memo_type = location, kind
    audit.record(s, "app.memo_stored", report.incident_id, sha256=hashlib.sha256(data).hexdigest(), size=len(data))
    return True
