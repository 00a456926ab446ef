"""An MMS's photos, fetched from the provider into the recordings store, with a checksum.

The row (`TextMedia`) is written with the text, before any fetch, so a photo is never lost: the
fetch job retries, the last failure marks it `failed` with the reason, and the convergence cycle
tries again later. The fetch is the recordings' (`hotline.provider.media`): only our account's
media at the Twilio API host, with our credentials, nothing else. Idempotent: a stored photo is
not fetched again.
"""

from __future__ import annotations

import hashlib
import mimetypes

from hotline.base import audit
from hotline.base.models import utcnow
from hotline.base.recording_store import recording_store
from hotline.base.runtime import get_runtime
from hotline.provider import media as twilio_media
from hotline.textreports.models import MEDIA, MediaStatus, TextMedia

MAX_BYTES = 5 * 1024 * 1024  # Twilio's limit for one MMS


def fetch_photo(media_id: int) -> str:
    rt = get_runtime()
    cfg = rt.config
    with rt.db.session() as s:
        row = s.get(TextMedia, media_id)
        if row is None or row.status in (MediaStatus.STORED, MediaStatus.PURGED):
            return "nothing to do"
        url, incident_id = row.url, row.incident_id
        row.attempts += 1
        row.last_try_at = utcnow()
    try:
        response = twilio_media.fetch(cfg, url, suffix="", under="Messages")
    except twilio_media.ForeignMediaUrl as exc:  # never retried: the URL will not get better
        with rt.db.session() as s:
            MEDIA.move(s, media_id, MediaStatus.FAILED, values={"error": f"refused: {exc}"})
            audit.record(s, "text.photo_failed", incident_id, error=f"refused: {exc}")
        return f"refused: {exc}"
    if response.status_code != 200 or len(response.content) > MAX_BYTES:
        with rt.db.session() as s:
            s.get_one(TextMedia, media_id).error = f"HTTP {response.status_code} ({len(response.content)} bytes)"
        response.raise_for_status()  # RQ retries with backoff
        raise ValueError(f"media larger than {MAX_BYTES} bytes")
    data = response.content
    kind = response.headers.get("Content-Type", "").split(";")[0].strip() or "application/octet-stream"
    ext = mimetypes.guess_extension(kind) or ".bin"
    now = utcnow()
    location = recording_store(cfg).put(f"media/{now:%Y/%m}/{incident_id}-{media_id}{ext}", data)
    digest = hashlib.sha256(data).hexdigest()
    with rt.db.session() as s:
        if MEDIA.move(s, media_id, MediaStatus.STORED, values={
                "path": location, "sha256": digest, "size": len(data), "content_type": kind[:100],
                "stored_at": now, "error": None}):
            audit.record(s, "text.photo_stored", incident_id, media_id=media_id, sha256=digest, size=len(data))
    return location


def mark_failed(media_id: int, reason: str) -> bool:
    """Every retry of the job failed: say so on the row and the timeline; the cycle tries again."""
    with get_runtime().db.session() as s:
        row = s.get(TextMedia, media_id)
        if row is None or not MEDIA.move(s, media_id, MediaStatus.FAILED, values={"error": reason[:2000]}):
            return False
        audit.record(s, "text.photo_failed", row.incident_id, media_id=media_id, error=reason[:500])
    return True
