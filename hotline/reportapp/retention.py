"""An app report's photo and voice memo under the retention policy: deleted with the incident's
recordings (the policy's `recordings` time). The report row stays, with the memo's type, so a
resent report does not attach its memo again."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.base.recording_store import recording_store
from hotline.base.registry import KeptMedia
from hotline.base.runtime import get_runtime
from hotline.reportapp.models import AppReport


def held(incident_id: Any) -> Any:
    return select(AppReport.id).where(AppReport.incident_id == incident_id,
                                      AppReport.photo.is_not(None) | AppReport.memo_path.is_not(None)).exists()


def purge(s: Session, incident_id: int) -> int:
    """The memo's file, then the photo's bytes and the memo's path; how many of the two went."""
    store = recording_store(get_runtime().config)
    gone = 0
    for report in s.scalars(select(AppReport).where(AppReport.incident_id == incident_id)):
        has_photo = s.scalar(select(AppReport.photo.is_not(None)).where(AppReport.id == report.id))
        if report.memo_path:
            store.local_path(report.memo_path).unlink(missing_ok=True)
            report.memo_path = None
            gone += 1
        if has_photo:
            report.photo = None
            gone += 1
    return gone


KEPT = KeptMedia("app photos and voice memos", held, purge)
