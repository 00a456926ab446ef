"""Rota overrides made from the console ("Lin covers Chen Saturday 22:00–06:00") and swaps
between two people, stored in the database next to the overrides written in config.toml, and
applied by the same resolver (`hotline.rotas.resolve`, fed by `stored_overrides`; an accepted
swap is two overrides).

Rows are never deleted: a cancelled override keeps who made it and who cancelled it; a swap
keeps who decided it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from hotline.base.models import Base, utcnow
from hotline.rotas.policy import Override


class RotaOverride(Base):
    __tablename__ = "rota_overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    rota: Mapped[str] = mapped_column(String(40), index=True)
    person: Mapped[str] = mapped_column(String(64))
    start: Mapped[datetime]
    end: Mapped[datetime] = mapped_column(index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    cancelled_by: Mapped[str | None] = mapped_column(String(64))
    cancelled_at: Mapped[datetime | None]

    def as_override(self) -> Override:
        return Override(self.rota, self.person, self.start, self.end)


def live_overrides(s: Session, now: datetime) -> list[RotaOverride]:
    """Overrides not cancelled and not yet over, earliest first."""
    return list(s.scalars(select(RotaOverride).where(RotaOverride.cancelled_at.is_(None), RotaOverride.end > now)
                          .order_by(RotaOverride.start, RotaOverride.id)))


def live_swaps(s: Session, now: datetime) -> list[RotaSwap]:
    """Swaps proposed or accepted whose last stretch is not yet over, earliest first."""
    rows = s.scalars(select(RotaSwap).where(RotaSwap.state.in_(("proposed", "accepted")),
                                            or_(RotaSwap.end > now, RotaSwap.back_end > now))
                     .order_by(RotaSwap.start, RotaSwap.id))
    return list(rows)


def stored_overrides(s: Session, now: datetime) -> tuple[Override, ...]:
    """What the resolver takes, alongside the overrides of config.toml: the console's overrides
    and the accepted swaps, not yet over."""
    swaps = [w for w in live_swaps(s, now) if w.state == "accepted"]
    return (*(o.as_override() for o in live_overrides(s, now)), *(o for w in swaps for o in w.as_overrides()))


def overrides_between(s: Session, start: datetime, end: datetime) -> tuple[Override, ...]:
    """The overrides in effect at some moment of [start, end), past ones included (the hours
    report reads months gone by): console overrides not cancelled and accepted swaps."""
    rows = s.scalars(select(RotaOverride).where(RotaOverride.cancelled_at.is_(None), RotaOverride.end > start,
                                                RotaOverride.start < end))
    swaps = s.scalars(select(RotaSwap).where(RotaSwap.state == "accepted"))
    return (*(o.as_override() for o in rows),
            *(o for w in swaps for o in w.as_overrides() if o.end > start and o.start < end))


class RotaSwap(Base):
    """Two people trade stretches of one rota: `partner` covers `requester` in [start, end) and,
    when given, `requester` covers `partner` in [back_start, back_end). It takes effect only once
    the partner accepts (both agreed), as overrides (`stored_overrides`); it moves through
    `hotline.rotas.swaps.SWAP`."""

    __tablename__ = "rota_swaps"

    id: Mapped[int] = mapped_column(primary_key=True)
    rota: Mapped[str] = mapped_column(String(40), index=True)
    requester: Mapped[str] = mapped_column(String(64))
    partner: Mapped[str] = mapped_column(String(64), index=True)
    start: Mapped[datetime]
    end: Mapped[datetime] = mapped_column(index=True)
    back_start: Mapped[datetime | None]
    back_end: Mapped[datetime | None]
    reason: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(12), default="proposed", index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(64))

    def as_overrides(self) -> tuple[Override, ...]:
        given = Override(self.rota, self.partner, self.start, self.end)
        if self.back_start is None or self.back_end is None:
            return (given,)
        return given, Override(self.rota, self.requester, self.back_start, self.back_end)

    @property
    def last_end(self) -> datetime:
        return max(self.end, self.back_end or self.end)
