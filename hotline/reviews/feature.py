"""Post-incident reviews in the registry: their tables, the reminder of due action items (a cycle
step), the review pages, and the words of the people's deeds and the items' states."""

from __future__ import annotations

from datetime import datetime

from hotline.base.cycle import CycleReport
from hotline.base.registry import CycleStep, Feature
from hotline.reviews import models, reminders
from hotline.web.i18n import N_


def _remind(now: datetime, report: CycleReport) -> None:
    """An open action item whose due date has come, and whose owner was not reminded today."""
    report["review_reminders"].extend(reminders.remind_due(now))


FEATURE = Feature(
    name="reviews",
    models=(models,),
    cycle=(CycleStep("review_reminders", 90, _remind),),
    pages=("hotline.reviews.pages",),
    words=(N_("open"), N_("done"),  # action item states
           N_("accepted"), N_("closed"), N_("stopped paging"), N_("paged again"), N_("added a note"),
           N_("activated the plan"), N_("marked a false alarm"), N_("confirmed on the team"),
           N_("did a checklist step"), N_("drafted a statement"), N_("approved a statement"),
           N_("joined the bridge"), N_("Key times"), N_("Moment"), N_("Time"), N_("After the report"),
           N_("People"), N_("rang"), N_("answered"), N_("Checklist"), N_("late"), N_("Recordings"),
           N_("Findings"), N_("Action items"), N_("due"), N_("Review of")),
)
