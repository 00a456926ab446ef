"""One webhook, one unit of work: a single database session (one transaction) for the call check,
the lifecycle commands and the reads the answer needs, and the follow-up jobs queued once the
TwiML has been sent.

Why one session: each session costs a pooled connection, a BEGIN and a COMMIT, and a webhook used
to open up to four. Why queue after the response: the state is committed before the TwiML leaves,
so the report is safe; the queue only makes the follow-up sooner (a lost one is the convergence
cycle's to find), and the caller should not wait on Redis for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from flask import Response, after_this_request
from sqlalchemy.orm import Session

from hotline.base import jobs
from hotline.base.jobs import Followup
from hotline.base.runtime import get_runtime


@dataclass
class Unit:
    s: Session
    then: list[Followup] = field(default_factory=list)

    def queue(self, followups: Iterable[Followup]) -> None:
        """Queue these once the unit has committed and the response is sent."""
        self.then.extend(followups)


@contextmanager
def unit() -> Iterator[Unit]:
    """Commit on success (a failure rolls everything back and the view's guard apologises)."""
    with get_runtime().db.session() as s:
        u = Unit(s)
        yield u
    if u.then:
        queue_after_response(tuple(u.then))


def queue_after_response(followups: tuple[Followup, ...]) -> None:
    @after_this_request
    def _later(response: Response) -> Response:
        response.call_on_close(lambda: jobs.dispatch(followups))
        return response
