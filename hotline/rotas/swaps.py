"""Swaps between two people: "Chen takes my Saturday, I take his Wednesday".

Rules:
- A swap names a rota, the person asking (`requester`) and the person asked (`partner`); the
  partner covers the requester in [start, end), and, when a return stretch is given, the
  requester covers the partner in [back_start, back_end). Each stretch must be one the giver is
  actually on call for (by the resolver, with the overrides already in effect), so a swap
  trades real turns.
- Both agree: the requester proposes it (a console user acts for the person of [people] with
  the same key), and it takes effect only when the partner accepts. The partner may decline;
  the requester may withdraw it while it waits. Every step is on the audit timeline.
- Once accepted it is two overrides (`hotline.rotas.models.stored_overrides`), applied by the
  same resolver as every other override: paging, the calendar, coverage and the hours report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from hotline.base import audit
from hotline.base.lifecycle import Actor, Outcome
from hotline.base.models import utcnow
from hotline.base.state_machine import Machine, Move
from hotline.rotas.models import RotaSwap
from hotline.rotas.policy import OncallSettings, Override, Rota
from hotline.rotas.resolve import timeline

SWAP_MOVES = {"proposed": {"accepted", "declined", "cancelled"}}


def _audit(s: Session, move: Move) -> None:
    row = s.get(RotaSwap, move.row_id)
    audit.record(s, f"rota_swap_{move.to}", None, actor=move.actor, swap_id=move.row_id,
                 rota=row.rota if row else "", **move.detail)


# A late click (the partner accepting a swap just withdrawn) changes nothing and is not a bug.
SWAP = Machine("rota_swap", RotaSwap, SWAP_MOVES, audit=_audit, stale=lambda current, to: True)


def covers_all(rota: Rota, person: str, start: datetime, end: datetime, overrides: Sequence[Override]) -> bool:
    """Whether `person` is on call for `rota` at every moment of [start, end)."""
    return all(stretch.person == person for stretch in timeline(rota, start, end, overrides))


def propose_swap(s: Session, settings: OncallSettings, people: Mapping[str, object], overrides: Sequence[Override], *,
                 rota: str, partner: str, start: datetime, end: datetime, actor: Actor,
                 back_start: datetime | None = None, back_end: datetime | None = None, reason: str = "") -> Outcome:
    requester = actor.who
    if requester not in people:
        return Outcome(False, "not_a_person", f"{requester!r} is not a person of [people]")
    found = settings.rotas.get(rota)
    if found is None:
        return Outcome(False, "no_rota", f"no rota {rota!r}")
    if partner not in people or partner == requester:
        return Outcome(False, "no_partner", f"no other person {partner!r}")
    if any(m.tzinfo is None for m in (start, end, *(m for m in (back_start, back_end) if m))):
        raise ValueError("swap times must be aware")
    if (back_start is None) != (back_end is None):
        return Outcome(False, "bad_time", "give both ends of the return stretch, or neither")
    stretches = [(start, end)] + ([(back_start, back_end)] if back_start and back_end else [])
    if any(b <= a for a, b in stretches):
        return Outcome(False, "end_before_start", "the end must be after the start")
    if start <= utcnow():
        return Outcome(False, "in_the_past", "a swap starts in the future")
    if not covers_all(found, requester, start, end, overrides):
        return Outcome(False, "not_your_turn", f"{requester} is not on call for {rota} all that time")
    if back_start and back_end and not covers_all(found, partner, back_start, back_end, overrides):
        return Outcome(False, "not_their_turn", f"{partner} is not on call for {rota} all that time")
    row = RotaSwap(rota=rota, requester=requester, partner=partner, start=start.astimezone(UTC),
                   end=end.astimezone(UTC), back_start=back_start.astimezone(UTC) if back_start else None,
                   back_end=back_end.astimezone(UTC) if back_end else None, reason=reason.strip()[:500],
                   state="proposed")
    s.add(row)
    s.flush()
    audit.record(s, "rota_swap_proposed", None, actor=requester, via=str(actor.channel), swap_id=row.id, rota=rota,
                 partner=partner, start=row.start.isoformat(), end=row.end.isoformat(),
                 back_start=row.back_start.isoformat() if row.back_start else None,
                 back_end=row.back_end.isoformat() if row.back_end else None, reason=row.reason)
    return Outcome(True, "swap_proposed", f"{requester} asks {partner} to swap on {rota}")


def _decide(s: Session, swap_id: int, actor: Actor, to: str, who: str) -> Outcome:
    row = s.get(RotaSwap, swap_id)
    if row is None:
        return Outcome(False, "no_swap", "no such swap")
    if actor.who != (row.partner if who == "partner" else row.requester):
        return Outcome(False, "not_yours", f"only the {who} can do this")
    moved = SWAP.move(s, swap_id, to, actor=actor.who, values={"decided_at": utcnow(), "decided_by": actor.who},
                      via=str(actor.channel))
    if not moved:
        return Outcome(False, "already_decided", f"this swap is already {row.state}")
    return Outcome(True, f"swap_{to}", f"swap {swap_id} {to}")


def accept_swap(s: Session, swap_id: int, actor: Actor) -> Outcome:
    """The partner agrees: from now on the swap's stretches are overrides."""
    return _decide(s, swap_id, actor, "accepted", "partner")


def decline_swap(s: Session, swap_id: int, actor: Actor) -> Outcome:
    return _decide(s, swap_id, actor, "declined", "partner")


def withdraw_swap(s: Session, swap_id: int, actor: Actor) -> Outcome:
    return _decide(s, swap_id, actor, "cancelled", "requester")
