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

from sqlalchemy import update
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
    """Store the memo of the device's report unless it has one (or had one, purged); True when it
    was stored now. The report is claimed first (its memo type written where there is none), so of
    two sendings at once the second waits on the row and then finds it claimed: one file, one line."""
    claimed = s.execute(update(AppReport).where(
        AppReport.device_id == device_id, AppReport.client_id == client_id, AppReport.incident_id.is_not(None),
        AppReport.memo_path.is_(None), AppReport.memo_type.is_(None))
        .values(memo_type=kind).returning(AppReport.id, AppReport.incident_id)).first()
    if claimed is None:
        return False
    now = now or utcnow()
    location = store.put(f"app/{now:%Y/%m}/{claimed.incident_id}-{claimed.id}{_EXT[kind]}", data)
    s.execute(update(AppReport).where(AppReport.id == claimed.id).values(memo_path=location))
    audit.record(s, "app.memo_stored", claimed.incident_id, sha256=hashlib.sha256(data).hexdigest(), size=len(data))
    return True
