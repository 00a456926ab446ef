"""When a call went quiet past its deadline: ask Twilio what happened instead of waiting forever.

Called by `drive` for decide's `Reconcile` (the wake-up scheduled at ring timeout plus a
margin found the attempt still live). Twilio's answer is applied exactly as the lost
callback would have been, so the normal rules (verdicts, audit, advance) follow from it.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session

from hotline.base import audit
from hotline.base.runtime import get_runtime
from hotline.base.states import ATTEMPT_LIVE, AttemptState
from hotline.paging.callout.decide import PLACE_BACKOFF
from hotline.paging.callout.receive import receive
from hotline.paging.callout.states import CallStatus
from hotline.paging.callout.store import abandon_attempt
from hotline.paging.models import Attempt
from hotline.provider import dialer

log = logging.getLogger("callout.watchdog")
FINAL = {"completed", "busy", "no-answer", "failed", "canceled"}


def settle_quiet_attempt(attempt_id: int, now: datetime) -> bool | None:
    """Settle a live attempt past its deadline. True when it now has a verdict (move on), False
    to look again shortly, None when it was never placed and should be placed now (a platform
    failure or a dial that never left is retried, not counted as the person not answering)."""
    db = get_runtime().db
    with db.session() as s:
        attempt = s.get(Attempt, attempt_id)
        if attempt is None or attempt.outcome is not None or attempt.state not in ATTEMPT_LIVE:
            return True
        sid, state, tries = attempt.call_sid, attempt.state, attempt.place_tries
    if sid is None:
        if tries < len(PLACE_BACKOFF):
            return None
        return _abandon(attempt_id, now, f"the call could not be placed in {tries} tries")
    try:
        status = dialer.fetch_status(sid)
    except dialer.DialerError as exc:
        log.warning("watchdog: cannot ask Twilio about %s: %s", sid, exc.describe())
        return False
    if status is None:
        return _abandon(attempt_id, now, f"Twilio does not know call {sid}")
    if status in FINAL or (status == "in-progress" and state != AttemptState.ANSWERED):
        with db.session() as s:
            receive(s, attempt_id, CallStatus(status), now)
            _note(s, attempt_id, f"applied Twilio's status {status!r} for a lost callback")
        with db.session() as s:
            attempt = s.get(Attempt, attempt_id)
            return attempt is None or attempt.outcome is not None or status == "in-progress"
    if status == "in-progress":  # answered, but no key within the answer timeout: next person
        return _abandon(attempt_id, now, "answered but no key pressed within the answer timeout")
    return False  # still queued or ringing at Twilio: look again shortly


def _abandon(attempt_id: int, now: datetime, reason: str) -> bool:
    with get_runtime().db.session() as s:
        abandon_attempt(s, attempt_id, reason, now)
        _note(s, attempt_id, reason)
    return True


def _note(s: Session, attempt_id: int, reason: str) -> None:
    attempt = s.get(Attempt, attempt_id)
    if attempt is None:
        return
    for incident in attempt.callout.incidents:
        audit.record(s, "callout.watchdog", incident.id, callout_id=attempt.callout_id, attempt_id=attempt_id,
                     person=attempt.person_key, reason=reason)
