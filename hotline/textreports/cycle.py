"""Reports by text in the convergence cycle: what a lost job left undone is found in the database.

- an accepted report whose sender was never told someone is on it (the accept's job was lost,
  or the provider failed for a while): tell them now (`jobs.picked_up`, once per report).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from hotline.base.cycle import CycleReport
from hotline.base.models import Incident
from hotline.base.registry import CycleStep
from hotline.base.runtime import get_runtime
from hotline.textreports import jobs
from hotline.textreports.models import TextConversation

BATCH = 200
NOTICE_GRACE = timedelta(seconds=30)  # the accept's own job normally tells them at once
NOTICE_WINDOW = timedelta(hours=6)  # an older accept is news nobody needs by text any more


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


STEPS = (CycleStep("text_picked_up", 20, _tell_picked_up),)
