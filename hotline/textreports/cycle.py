"""Reports by text in the convergence cycle: what a lost job left undone is found in the database.

- an accepted report whose sender was never told someone is on it (the accept's job was lost,
  or the provider failed for a while): tell them now (`jobs.picked_up`, once per report);
- a photo not fetched yet a while after its text, or whose fetch failed some time ago: fetch it
  again (while the provider may still hold it), so no photo is lost to a bad minute.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from hotline.base import jobs as queue
from hotline.base.cycle import CycleReport
from hotline.base.models import Incident
from hotline.base.registry import CycleStep
from hotline.base.runtime import get_runtime
from hotline.textreports import jobs
from hotline.textreports.followups import FetchPhoto
from hotline.textreports.models import MediaStatus, TextConversation, TextMedia

BATCH = 200
NOTICE_GRACE = timedelta(seconds=30)  # the accept's own job normally tells them at once
NOTICE_WINDOW = timedelta(hours=6)  # an older accept is news nobody needs by text any more
FETCH_GRACE = timedelta(seconds=20)  # a fresh photo is the webhook's job first
FETCH_RETRY = timedelta(minutes=2)  # a pending fetch with no progress for this long is queued again
FAILED_FETCH_RETRY = timedelta(minutes=15)  # a failed fetch is tried again this often ...
FAILED_FETCH_WINDOW = timedelta(days=7)  # ... while the provider may still hold the file


def _tell_picked_up(now: datetime, report: CycleReport) -> None:
    with get_runtime().db.session() as s:
        due = list(s.scalars(select(TextConversation.incident_id)
                             .join(Incident, Incident.id == TextConversation.incident_id)
                             .where(TextConversation.picked_up_at.is_(None), Incident.accepted_by.is_not(None),
                                    Incident.accepted_at <= now - NOTICE_GRACE,
                                    Incident.accepted_at >= now - NOTICE_WINDOW).limit(BATCH)))
    if due:
        jobs.picked_up(due)
        report["text_picked_up"].extend(due)


def _fetch_photos(now: datetime, report: CycleReport) -> None:
    m = TextMedia
    with get_runtime().db.session() as s:
        due = list(s.scalars(select(m.id).where(
            ((m.status == MediaStatus.PENDING) & (m.created_at <= now - FETCH_GRACE)
             & (m.last_try_at.is_(None) | (m.last_try_at <= now - FETCH_RETRY)))
            | ((m.status == MediaStatus.FAILED) & (m.created_at >= now - FAILED_FETCH_WINDOW)
               & (m.last_try_at.is_(None) | (m.last_try_at <= now - FAILED_FETCH_RETRY))
               & (m.error.is_(None) | ~m.error.startswith("refused")))).limit(BATCH)))
    queue.dispatch(FetchPhoto(media_id) for media_id in due)
    report["text_photos"].extend(due)


STEPS = (CycleStep("text_picked_up", 20, _tell_picked_up), CycleStep("text_photos", 21, _fetch_photos))
