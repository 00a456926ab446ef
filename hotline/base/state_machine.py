"""One way to move state: named states, a transition table, a compare-and-set write, an audit row.

Every stateful row of the hotline (incident, callout, attempt, recording, transcript, drill,
crisis member, statement) moves through a `Machine`:

- its legal moves are one table (`moves`: state -> the states it may go to), beside its states;
- a move is one conditional UPDATE, `... WHERE id IN (...) AND state IN (sources of the target)`,
  returning the ids that moved, so two processes racing on one row cannot both win, on SQLite or
  PostgreSQL (two admins approving one statement publish it once);
- a move that loses (the row had moved on, or the table has no such move) changes nothing and
  writes nothing: the caller gets no ids back, the same way for every machine. A machine that can
  tell a late event from a bug (`stale`) raises `IllegalTransition` for the bug, so no sequence
  of real events is mistaken for one that cannot happen;
- each row that moved gets its audit row, written by the machine's `audit` (the incident's
  "status_accepted", the drill's "drill_stopped"). Callouts and attempts are recorded by the
  richer rows their commands write (who accepted, which call), so their machines have none.

ORM objects of moved rows loaded in the session are expired, so they read the new state.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from hotline.base.models import utcnow


class IllegalTransition(Exception):
    """A state change that no ordering of real events can produce: a bug, not a late callback."""


@dataclass(frozen=True)
class Move:
    """One row's move, as its audit row sees it."""

    machine: str
    row_id: int
    to: str
    at: datetime
    actor: str
    detail: Mapping[str, Any]


@dataclass(frozen=True, eq=False)
class Machine:
    name: str  # what moves: "incident", "callout", ...
    model: type[Any]  # the mapped class whose table holds the state
    moves: Mapping[str, Collection[str]]  # state -> the states it may go to
    column: str = "state"
    touched: str | None = None  # a column set to the moment of every move (e.g. "updated_at")
    audit: Callable[[Session, Move], None] | None = None
    stale: Callable[[str, str], bool] | None = None  # (current, target): a refused move is merely late
    _sources: dict[tuple[str, frozenset[str] | None], tuple[str, ...]] = field(default_factory=dict, repr=False)

    @property
    def table(self) -> Table:
        table: Table = self.model.__table__
        return table

    @cached_property
    def states(self) -> frozenset[str]:
        return frozenset(self.moves) | frozenset(t for targets in self.moves.values() for t in targets)

    def sources(self, to: str, only_from: Collection[str] | None = None) -> tuple[str, ...]:
        """The states `to` may be reached from (those of `only_from` only, when given)."""
        key = (to, frozenset(only_from) if only_from is not None else None)
        found = self._sources.get(key)
        if found is None:
            found = tuple(src for src, targets in self.moves.items()
                          if to in targets and (only_from is None or src in only_from))
            self._sources[key] = found
        return found

    def can(self, current: str, to: str) -> bool:
        return to in self.moves.get(current, ())

    def move(self, s: Session, ids: int | Iterable[int], to: str, *, now: datetime | None = None,
             only_from: Collection[str] | None = None, values: Mapping[str, Any] | None = None,
             actor: str = "system", **detail: Any) -> list[int]:
        """Move the rows `ids` to `to` where that is a legal step from where each is now (and from
        one of `only_from`, when given), writing `values` with it; returns the ids that moved."""
        if to not in self.states:
            raise IllegalTransition(f"{self.name}: {to!r} is not one of its states")
        wanted = [ids] if isinstance(ids, int) else list(ids)
        if not wanted:
            return []
        s.flush()  # pending ORM changes first: they must not overwrite the move at the next flush
        table, column = self.table, self.table.c[self.column]
        now = now or utcnow()
        written: dict[str, Any] = {self.column: to, **(values or {})}
        if self.touched is not None:
            written[self.touched] = now
        moved = list(s.execute(update(table).where(table.c.id.in_(wanted), column.in_(self.sources(to, only_from)))
                               .values(written).returning(table.c.id)).scalars())
        for row_id in moved:
            obj = s.identity_map.get(identity_key(self.model, row_id))
            if obj is not None:
                s.expire(obj)
            if self.audit is not None:
                self.audit(s, Move(self.name, row_id, to, now, actor, detail))
        if self.stale is not None:
            for row_id in set(wanted) - set(moved):
                self._refused(s, row_id, to)
        return moved

    def _refused(self, s: Session, row_id: int, to: str) -> None:
        current = s.execute(select(self.table.c[self.column]).where(self.table.c.id == row_id)).scalar_one_or_none()
        if current is None:
            raise LookupError(f"no {self.name} {row_id}")
        assert self.stale is not None
        if current != to and not self.stale(current, to):
            raise IllegalTransition(f"{self.name} {row_id}: {current} -> {to}")

