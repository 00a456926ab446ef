"""RQ entry points of the callout, all on the "callout" queue. Each is idempotent.

- `start(incident_id)`: queued by `hotline.handoff.hand_off` once per incident; opens a
  callout (or joins a running one of the same type: a storm) and places the first call.
- `step(callout_id)`: queued by a webhook when an attempt reached its verdict.
- `wake(callout_id, due)`: the watchdog / repeat timer, scheduled with `enqueue_in`.
- `redial(attempt_id, tries)`: Calls.create again after a 429 / 5xx.
- `after_accept(callout_id)`: stop the other calls, send the SMS.
- `reconcile()`: re-derive all pending work from the database (worker start-up).
"""

from __future__ import annotations

from datetime import datetime

from callout import closeout, drive, reconcile
from callout.storm import open_or_join
from hotline.base import audit
from hotline.base.models import Incident, IncidentStatus, utcnow
from hotline.base.runtime import get_runtime
from hotline.lifecycle.incident_sync import sync_incidents

LOCK_SECONDS = 5  # the critical section is a few queries; a holder that died frees it this fast
LOCK_WAIT_SECONDS = 20


def start(incident_id: int) -> str:
    rt = get_runtime()
    with rt.db.session() as s:
        incident = s.get(Incident, incident_id)
        if incident is None:
            return "no such incident"
        audit.record(s, "callout_requested", incident_id)
        if incident.status in (IncidentStatus.CLOSED, IncidentStatus.ACCEPTED):
            return f"incident already {incident.status}"  # e.g. accepted by dialling in first
        type_key = incident.type_key
    # One opener per incident type at a time, so a storm of reports cannot open two callouts.
    with rt.redis.lock(f"callout:open:{type_key}", timeout=LOCK_SECONDS, blocking_timeout=LOCK_WAIT_SECONDS):
        now = utcnow()
        with rt.db.session() as s:
            callout, joined = open_or_join(s, incident_id, type_key, drive.settings(), now)
            callout_id = callout.id
            if joined:
                sync_incidents(s, callout, now)
    if joined:
        return f"joined callout {callout_id}"
    return f"callout {callout_id}: {drive.drive(callout_id)}"


def step(callout_id: int) -> str:
    return drive.drive(callout_id)


def wake(callout_id: int, due: str) -> str:
    return drive.drive(callout_id, datetime.fromisoformat(due))


def redial(attempt_id: int, tries: int) -> None:
    drive.redial(attempt_id, tries)


def after_accept(callout_id: int) -> None:
    closeout.after_accept(callout_id)


def reconcile_all() -> dict[str, int]:
    return reconcile.run()
