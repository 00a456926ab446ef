"""Drill tables, on the shared `Base`: a drill, and its own timeline (starts, injections, stops).

A drill is a first-class object so its results can be measured and compared: what it asked of
whom (kind, scenario, participants), who ran it, when, and how it ended. Everything a drill
produces carries its id: incidents (`Incident.drill_id`, besides `Incident.drill`), callouts
(`Callout.drill_id`, which the callout engine reads to keep paging inside the participant list);
attempts, calls, recordings and SMS are tied to those through their incident or callout.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Final

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from hotline.base.models import Base, utcnow


class DrillKind(StrEnum):
    TABLETOP = "tabletop"  # browser phones only, a facilitator injects events; no real calls
    SIMULATION = "simulation"  # on the sim, each participant's phone follows a script
    FULL_SCALE = "full_scale"  # real calls and SMS to the participants, each starting with a drill notice
    SURPRISE = "surprise"  # full-scale at a time picked from a schedule that participants cannot know


class DrillState(StrEnum):
    SCHEDULED = "scheduled"  # created; starts when asked (or, a surprise, at its picked time)
    WAITING = "waiting"  # due, but a real incident is open: it waits and says why (`wait_reason`)
    RUNNING = "running"  # its incidents exist and are being paged
    STOPPED = "stopped"  # ended early by a person, a time limit, or a real report (`end_reason`)
    FINISHED = "finished"  # ran to its end (every drill incident taken, or the facilitator finished it)


# The legal moves; `hotline.drills.commands` is the only writer of `Drill.state`.
DRILL_MOVES: dict[str, tuple[str, ...]] = {
    DrillState.SCHEDULED: (DrillState.WAITING, DrillState.RUNNING, DrillState.STOPPED),
    DrillState.WAITING: (DrillState.RUNNING, DrillState.STOPPED),
    DrillState.RUNNING: (DrillState.STOPPED, DrillState.FINISHED),
    DrillState.STOPPED: (),
    DrillState.FINISHED: (),
}
DRILL_OPEN: Final[tuple[DrillState, ...]] = (DrillState.SCHEDULED, DrillState.WAITING, DrillState.RUNNING)
DRILL_ENDED: Final[tuple[DrillState, ...]] = (DrillState.STOPPED, DrillState.FINISHED)


class Drill(Base):
    __tablename__ = "drills"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    kind: Mapped[str] = mapped_column(String(20))
    scenario_key: Mapped[str | None] = mapped_column(String(64), index=True)  # [drills.scenarios.KEY], if any
    type_key: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(20), default="unknown")
    language: Mapped[str] = mapped_column(String(16))
    report_text: Mapped[str] = mapped_column(Text, default="")
    report_file: Mapped[str | None] = mapped_column(Text)
    callers: Mapped[list[Any]] = mapped_column(default=list)  # [{"after": seconds, "text": "..."}]: more reports
    phones: Mapped[dict[str, Any]] = mapped_column(default=dict)  # person -> sim phone behaviour (simulation)
    inbound_from: Mapped[str | None] = mapped_column(String(32))  # full-scale: the report is a real call from here
    policy_key: Mapped[str | None] = mapped_column(String(40))  # the order people are rung in, if a policy
    participants: Mapped[list[Any]] = mapped_column(default=list)  # person keys: nobody else is ever rung
    runner: Mapped[str] = mapped_column(String(64), default="")  # who runs it (facilitator)
    created_by: Mapped[str] = mapped_column(String(64), default="")
    state: Mapped[str] = mapped_column(String(20), default=DrillState.SCHEDULED, index=True)
    scheduled_for: Mapped[datetime | None] = mapped_column(index=True)  # surprise: the picked moment
    schedule: Mapped[dict[str, Any]] = mapped_column(default=dict)  # surprise: rule and the period it was picked in
    max_minutes: Mapped[int] = mapped_column(Integer, default=60)  # stopped after this, whatever happens
    # The whole plan: after the report is taken, the crisis plan runs in drill mode (hotline.crisis.drillmode)
    # and the drill goes on until its runner finishes it or its time limit.
    whole_plan: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    wait_reason: Mapped[str | None] = mapped_column(Text)
    twilio_down_until: Mapped[datetime | None]  # injected fault: the dialer behaves as if Twilio were down
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    ended_by: Mapped[str | None] = mapped_column(String(64))
    end_reason: Mapped[str | None] = mapped_column(Text)


class DrillEvent(Base):
    """The drill's own timeline: created, waiting, started, injected, stopped, finished."""

    __tablename__ = "drill_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    drill_id: Mapped[int] = mapped_column(ForeignKey("drills.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(64), default="system")
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
