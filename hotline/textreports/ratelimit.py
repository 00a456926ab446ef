"""Each sender's allowance of texts: a token bucket per number, kept in `text_senders`.

`refill` is the rule, a pure function; `take` applies it to a sender's row with a compare-and-set
write, so two texts from one number arriving together on two nodes cannot both spend the last
token. Should the row keep moving under it (a storm of texts from one number), the text is let
through: the limit saves money and the rota's attention, and must never be why a report is lost.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from hotline.base.db import insert_if_absent
from hotline.textreports.models import TextSender
from hotline.textreports.settings import TextReportSettings


def refill(tokens: float, at: datetime, now: datetime, limit: TextReportSettings) -> float:
    """The tokens a bucket holds at `now` (at most `burst`)."""
    earned = max(0.0, (now - at).total_seconds()) / limit.seconds_per_text
    return min(float(limit.burst), tokens + earned)


def take(s: Session, sender: str, now: datetime, limit: TextReportSettings) -> bool:
    """Spend one of `sender`'s texts; False when they have none left (over the limit)."""
    insert_if_absent(s, TextSender.__table__, "sender", {"sender": sender, "tokens": float(limit.burst), "at": now},
                     "sender")
    for _ in range(5):
        row = s.execute(select(TextSender.tokens, TextSender.at).where(TextSender.sender == sender)).one()
        tokens = refill(row.tokens, row.at, now, limit)
        allowed = tokens >= 1
        moved = cast(CursorResult[Any], s.execute(
            update(TextSender).where(TextSender.sender == sender, TextSender.tokens == row.tokens,
                                     TextSender.at == row.at)
            .values(tokens=tokens - 1 if allowed else tokens, at=max(now, row.at)))).rowcount
        if moved:
            return allowed
    return True
