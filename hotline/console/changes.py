"""A cheap mark that changes whenever anything a live console fragment shows may have changed,
so a browser polling an unchanged page gets "304 Not Modified" for a few index lookups instead
of a rendered page.

What moves the mark: any audit event (statuses, notes, calls placed, recordings stored, SMS),
a new call attempt or one changing between queued/ringing/answered (not audited: it is not a
decision), a new or abandoned inbound call, a new transcript, and a 15-second clock, because the
fragments show ages ("40 s"). Every part is a lookup on a primary key or an indexed column, so
the cost does not grow with the number of incidents.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Any

from flask import make_response, request
from sqlalchemy import func, select
from sqlalchemy.engine import Connection
from werkzeug.wrappers import Response

from hotline.base.models import AuditEvent, Call, Transcript
from hotline.base.runtime import get_runtime
from hotline.base.states import ATTEMPT_LIVE
from hotline.paging.models import Attempt

CLOCK_SECONDS = 15


def _live(state: str) -> Any:
    return select(func.count()).where(Attempt.state == state).scalar_subquery()


# One statement of scalar subqueries, built once: a single round trip, no ORM in the way.
MARK = select(
    select(func.max(AuditEvent.id)).scalar_subquery(), select(func.max(Attempt.id)).scalar_subquery(),
    *(_live(state) for state in ATTEMPT_LIVE), select(func.max(Call.id)).scalar_subquery(),
    select(func.count()).where(Call.abandoned.is_(True)).scalar_subquery(),
    select(func.max(Transcript.id)).scalar_subquery())


def mark(connection: Connection) -> tuple[object, ...]:
    return (*connection.execute(MARK).one(), int(time.time() // CLOCK_SECONDS))


def etag(connection: Connection, *context: object) -> str:
    """The mark plus what else shapes the page (viewer's language and role, the URL)."""
    return hashlib.sha256(repr((mark(connection), context)).encode()).hexdigest()[:32]


def answer(render: Callable[[], str], *context: object) -> Response:
    """`render()` with an ETag, or an empty 304 when the browser already has this version."""
    with get_runtime().db.engine.connect() as connection:
        tag = etag(connection, *context, request.full_path)
    if request.if_none_match.contains(tag):
        response = Response(status=304)
    else:
        response = make_response(render())
    response.set_etag(tag)
    response.headers["Cache-Control"] = "private, no-cache"
    return response
