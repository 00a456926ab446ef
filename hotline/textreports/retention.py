"""A text's photos under the retention policy: deleted with the incident's recordings (the policy's
`recordings` time), the row kept and marked purged, so the conversation still shows a photo came."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.base.recording_store import recording_store
from hotline.base.registry import KeptMedia
from hotline.base.runtime import get_runtime
from hotline.textreports.models import MEDIA, MediaStatus, TextMedia


def held(incident_id: Any) -> Any:
    return select(TextMedia.id).where(TextMedia.incident_id == incident_id,
                                      TextMedia.status != MediaStatus.PURGED).exists()


def purge(s: Session, incident_id: int) -> int:
    """Each photo's file, then its row (`purged`, no path); one not fetched yet is never fetched."""
    store = recording_store(get_runtime().config)
    gone = 0
    for media in s.scalars(select(TextMedia).where(TextMedia.incident_id == incident_id,
                                                   TextMedia.status != MediaStatus.PURGED)):
        if media.path:
            store.local_path(media.path).unlink(missing_ok=True)
        if MEDIA.move(s, media.id, MediaStatus.PURGED, values={"path": None}):
            gone += 1
    return gone


KEPT = KeptMedia("text photos", held, purge)
