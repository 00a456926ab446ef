"""A crisis on a drill's report runs in drill mode: the whole plan is rehearsed, and nothing of it
reaches the public or anyone outside the drill.

The rules, written once (the commands, the notifier and the dark site ask these functions):

1. The team: only the drill's participants are called. A plan seat whose person is not taking
   part is written on the timeline as "not called: not in the drill" and gets no row, so neither
   the notifier, the overdue reminders nor the bridge can reach them; a deputy outside the drill
   is never called in.
2. The dark site: the public site, its feeds and its static export never show a drill's crisis
   (`hotline.crisis.darksite.view.build` leaves drill incidents out). A drill's published
   statements show only on its preview page in the console (login required), under the drill
   banner.
3. Broadcasts: a drill never sends one. Each notice it would send (a stage's notice, the first
   statement to staff) is written on the timeline as "would send" with its stage, groups,
   channels and text (`hotline.broadcasts.door`), so the review shows what staff would have got.
   We chose "recorded, not sent" over "sent to the participants": broadcasts address directory
   groups, not drill participants, and a drill must have no path to a group's phones at all.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from hotline.base.models import Incident
from hotline.drills import gate


def participants(s: Session, incident: Incident | None) -> frozenset[str] | None:
    """The people a drill's crisis may reach; None for a real incident (everyone on the plan)."""
    if incident is None or not incident.drill:
        return None
    found = gate.participants(s, incident.drill_id) if incident.drill_id is not None else None
    return frozenset(found.people) if found is not None else frozenset()


def may_reach(allowed: frozenset[str] | None, person: str) -> bool:
    return allowed is None or person in allowed
