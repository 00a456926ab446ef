"""Opt-outs, honoured and kept: a number that texted STOP never gets a broadcast text again.

The one reader (`blocked`) and writer (`record`) of who opted out. Twilio itself refuses to text
an opted-out number (error 21610); that refusal is recorded here too, so the next broadcast skips
the number instead of asking Twilio again. The SMS channel records a STOP through `record` and a
START through `forget`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select
from sqlalchemy.orm import Session

from hotline.base import audit
from hotline.base.db import insert_if_absent
from hotline.base.models import utcnow
from hotline.broadcasts.models import OptOut


def blocked(s: Session, phones: Iterable[str | None]) -> set[str]:
    wanted = sorted({p for p in phones if p})
    found: set[str] = set()
    for i in range(0, len(wanted), 5000):
        found.update(s.scalars(select(OptOut.phone).where(OptOut.phone.in_(wanted[i:i + 5000]))))
    return found


def record(s: Session, phone: str, source: str, now: datetime | None = None) -> bool:
    """True if this is news (the number was not opted out before)."""
    row = insert_if_absent(s, OptOut.__table__, "phone", {"phone": phone, "source": source[:40], "at": now or utcnow()},
                           "id")
    if row is not None:
        audit.record(s, "broadcast.opted_out", None, actor=phone, source=source)
    return row is not None


def forget(s: Session, phone: str) -> bool:
    """START: the number may be texted again."""
    gone = cast(CursorResult[Any], s.execute(delete(OptOut).where(OptOut.phone == phone))).rowcount
    if gone:
        audit.record(s, "broadcast.opted_in", None, actor=phone)
    return bool(gone)
