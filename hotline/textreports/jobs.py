"""Reports by text, after the webhook: telling the sender someone is on it, and fetching their
photos (`photos.fetch_photo`, on the recordings' queue, retried; the cycle tries a failed one again).

`picked_up` is this feature's `accepted` hook (`hotline.base.registry.Feature.accepted`): paging
runs it in a job after any accept (a responder's 1, the console, a text, dial-in, an API
acknowledge), and this feature's cycle step runs it for an accept whose job was lost. Each
report's sender is texted once: the conversation's `picked_up_at` is claimed by a
compare-and-set before the send and released only when the provider failed for a reason that
may pass, so retries and cycle passes never text twice. A sender who texted STOP is not texted
(Twilio would refuse it with 21610 anyway); the timeline says so. The text names the report, never
the acceptor or a staff number.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from rq import Retry
from rq.job import Job
from sqlalchemy import CursorResult, select, update

from hotline.base import audit
from hotline.base.jobs import JobSpec, enqueue
from hotline.base.models import Incident, utcnow
from hotline.base.runtime import get_runtime
from hotline.broadcasts import optouts
from hotline.provider import dialer
from hotline.textreports import photos
from hotline.textreports.followups import FetchPhoto
from hotline.textreports.models import TextConversation
from hotline.textreports.phrases import say

log = logging.getLogger("hotline.textreports")


def picked_up(incident_ids: Sequence[int]) -> int:
    """Text each SMS reporter among `incident_ids` whose report is accepted and who was not told
    yet; returns how many were texted."""
    if not incident_ids:
        return 0
    with get_runtime().db.session() as s:
        due = s.execute(select(TextConversation.id, TextConversation.incident_id, Incident.ref)
                        .join(Incident, Incident.id == TextConversation.incident_id)
                        .where(TextConversation.incident_id.in_(list(incident_ids)),
                               TextConversation.picked_up_at.is_(None), Incident.accepted_by.is_not(None))).all()
    return sum(_tell(conversation_id, incident_id, ref or str(incident_id))
               for conversation_id, incident_id, ref in due)


def _tell(conversation_id: int, incident_id: int, ref: str) -> bool:
    db = get_runtime().db
    now = utcnow()
    with db.session() as s:
        if not _claim(s, conversation_id, now):
            return False  # told already, or being told by another worker
        row = s.get_one(TextConversation, conversation_id)
        sender, number, lang = row.sender, row.number, row.language
        if optouts.blocked(s, [sender]):
            audit.record(s, "text.not_sent", incident_id, to=sender, reason="STOP")
            return False
    body = say(lang, "picked_up", ref=ref)
    try:
        sid = dialer.send_sms(sender, number, body)
    except dialer.PermanentError as exc:
        with db.session() as s:
            audit.record(s, "text.failed", incident_id, to=sender, error=exc.describe(), role="picked_up")
        return False
    except Exception:
        with db.session() as s:  # may pass: released, so the retry (or the cycle) tells them
            s.execute(update(TextConversation).where(TextConversation.id == conversation_id)
                      .values(picked_up_at=None))
        raise
    with db.session() as s:
        audit.record(s, "text.sent", incident_id, to=sender, sid=sid, body=body, role="picked_up")
    log.info("report %s: its sender was told someone is on it", ref)
    return True


def _claim(s: Any, conversation_id: int, now: datetime) -> bool:
    result = cast(CursorResult[Any], s.execute(
        update(TextConversation).where(TextConversation.id == conversation_id,
                                       TextConversation.picked_up_at.is_(None)).values(picked_up_at=now)))
    return bool(result.rowcount)


def fetch_photo(media_id: int) -> str:
    return photos.fetch_photo(media_id)


def on_fetch_failed(job: Job, connection: Any, exc_type: type[BaseException] | None,
                    exc_value: BaseException | None, traceback: Any) -> None:
    """RQ failure callback: after the last retry the photo is `failed`, with the reason."""
    if job.retries_left:
        return
    photos.mark_failed(int(job.args[0]), f"{getattr(exc_type, '__name__', exc_type)}: {exc_value}")


SPECS: dict[Any, JobSpec] = {
    fetch_photo: JobSpec("recordings", 120, Retry(max=6, interval=[1, 2, 5, 10, 30, 60]),
                         lambda m: f"fetch-photo-{m}", on_fetch_failed),
}
FOLLOWUPS: dict[type[Any], Any] = {
    FetchPhoto: lambda f: enqueue(fetch_photo, f.media_id),
}
