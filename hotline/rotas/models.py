"""Rota overrides made from the console ("Lin covers Chen Saturday 22:00–06:00"), stored in the
database next to those written in config.toml, and applied by the same resolver
(`hotline.rotas.resolve.on_call_now` / `resolve_contacts`, fed by `stored_overrides`).

Rows are never deleted: a cancelled override keeps who made it and who cancelled it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, select
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


def stored_overrides(s: Session, now: datetime) -> tuple[Override, ...]:
    """What the resolver takes, alongside the overrides of config.toml."""
    return tuple(o.as_override() for o in live_overrides(s, now))
