"""What Twilio holds, read back: its recent recordings and the calls they belong to.

Twilio tells us of a recording, or of a call's end, once, by a callback; one sent while no node
answered is not sent again. The convergence cycle's reconciliation (`hotline.paging.reconcile`)
therefore asks Twilio itself, through the list endpoints (Recordings: newest first, `DateCreated>`
/ `DateCreated<` bounds; Calls: `StartTime>`), and gets plain records here, so paging decides
with no Twilio types. Errors come out as the dialer's `TransientError`: the next pass asks again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from twilio.base.exceptions import TwilioRestException

from hotline.base.config import Config
from hotline.provider import rest
from hotline.provider.dialer import TransientError, ask, ask_or_none

PAGE_SIZE = 200


@dataclass(frozen=True)
class HeldRecording:
    sid: str
    call_sid: str | None
    created: datetime
    status: str  # completed | in-progress | absent | failed | ...
    duration: float | None
    media_url: str  # the audio (WAV when fetched without an extension)


@dataclass(frozen=True)
class HeldCall:
    sid: str
    direction: str  # inbound | outbound-api | outbound-dial | trunking-*
    from_number: str | None
    to_number: str | None
    status: str
    duration: str | None
    started: datetime | None = None


def _failed(exc: Exception) -> TransientError:
    if isinstance(exc, TwilioRestException):
        return TransientError(str(exc.msg or exc), int(exc.code) if exc.code else None, int(exc.status or 0))
    return TransientError(f"{type(exc).__name__}: {exc}")


def _utc(value: Any) -> datetime:
    if not isinstance(value, datetime):
        return datetime.now(UTC)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def recordings(cfg: Config, since: datetime, before: datetime | None, limit: int) -> list[HeldRecording]:
    """Recordings created from `since` (to `before`, when given), newest first, at most `limit`."""
    bounds: dict[str, Any] = {"date_created_after": since}
    if before is not None:
        bounds["date_created_before"] = before
    found = ask(lambda: list(rest.client().recordings.stream(limit=limit, page_size=min(PAGE_SIZE, limit),
                                                            **bounds)), _failed)
    origin = cfg.twilio.api_origin
    return [HeldRecording(sid=str(r.sid), call_sid=str(r.call_sid) if r.call_sid else None,
                          created=_utc(r.date_created), status=str(r.status or ""),
                          duration=float(r.duration) if r.duration else None,
                          media_url=str(r.media_url or origin + str(r.uri or "").removesuffix(".json")))
            for r in found]


def _call(c: Any) -> HeldCall:
    return HeldCall(sid=str(c.sid), direction=str(c.direction or ""), from_number=c._from or None,
                    to_number=c.to or None, status=str(c.status or ""),
                    duration=str(c.duration) if c.duration is not None else None,
                    started=_utc(c.start_time) if c.start_time else None)


def call(sid: str) -> HeldCall | None:
    """One call as Twilio has it now, or None when Twilio does not know it."""
    found = ask_or_none(rest.client().calls(sid).fetch, _failed)
    return _call(found) if found is not None else None


def calls(sids: Iterable[str], started_after: datetime, limit: int) -> dict[str, HeldCall]:
    """The calls among `sids` that Twilio lists as started from `started_after` (one listing, not a
    request per call: after a restart there may be a storm's worth)."""
    wanted = set(sids)
    listed = ask(lambda: list(rest.client().calls.stream(start_time_after=started_after, limit=limit,
                                                         page_size=min(PAGE_SIZE, limit))), _failed)
    return {c.sid: _call(c) for c in listed if c.sid in wanted}


def inbound_calls(number: str, started_after: datetime, limit: int) -> list[HeldCall]:
    """The calls to `number` that Twilio lists as started from `started_after`, newest first."""
    listed = ask(lambda: list(rest.client().calls.stream(to=number, start_time_after=started_after, limit=limit,
                                                         page_size=min(PAGE_SIZE, limit))), _failed)
    return [_call(c) for c in listed if str(c.direction or "") == "inbound"]
