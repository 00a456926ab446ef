"""Drills in the registry: `[drills]`, the drill tables, the drill part of the convergence cycle,
`run.py drill`, the drill pages, and the words of their kinds and states."""

from __future__ import annotations

from datetime import datetime

from hotline.base.cycle import CycleReport
from hotline.base.registry import Command, CycleStep, Feature, Section
from hotline.base.runtime import get_runtime
from hotline.drills import commands, models, settings
from hotline.web.i18n import N_


def _tick(now: datetime, report: CycleReport) -> None:
    """A surprise to plan or start (deferred while a real incident is open), a scripted report
    due, a drill that is done or past its time limit."""
    report["drills"].extend(commands.tick(now, get_runtime().config))


def _drill(argv: list[str]) -> int:
    from hotline.drills.cli import main

    return main(argv)


FEATURE = Feature(
    name="drills",
    sections=(Section("drills", settings.DrillSettings, settings.load_section),),
    models=(models,),
    cycle=(CycleStep("drills", 70, _tick),),
    commands=(Command("drill", "create|list|start|inject|stop|finish|report|coverage",
                      "drills and the rota coverage check", _drill),),
    pages=("hotline.drills.pages", "hotline.drills.hours_pages"),
    words=(N_("tabletop"), N_("simulation"), N_("full_scale"), N_("surprise"),  # kinds
           N_("scheduled"), N_("waiting"), N_("running"), N_("stopped"), N_("finished"),  # states
           N_("the first responder does not answer"), N_("a second report arrives"), N_("Twilio fails for 2 minutes"),
           N_("Tick the box to confirm stopping the drill.")),
)
