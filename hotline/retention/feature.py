"""Retention and legal hold in the registry: `[retention]`, the daily purge, the hold button and
`run.py hold`."""

from __future__ import annotations

from datetime import datetime

from hotline.base.cycle import CycleReport
from hotline.base.registry import Command, CycleStep, Feature, Section
from hotline.retention import purge, settings
from hotline.web.i18n import N_


def _purge(now: datetime, report: CycleReport) -> None:
    """Once a day, recordings and transcripts past their retention."""
    purged = purge.run_daily(now)
    if purged is not None:
        report["purged"].extend(purged.incidents)


def _hold(argv: list[str]) -> int:
    from hotline.retention.cli import main

    return main(argv)


FEATURE = Feature(
    name="retention",
    sections=(Section("retention", settings.RetentionSettings, settings.load_section),),
    cycle=(CycleStep("purged", 50, _purge),),
    commands=(Command("hold", "REF --reason TEXT",
                      "legal hold: retention keeps the report's recordings (--release to end it)", _hold),),
    pages=("hotline.retention.pages",),
    words=(N_("On legal hold: retention keeps its recordings and transcripts."), N_("Already on legal hold."),
           N_("Legal hold released."), N_("It is not on legal hold."), N_("Give a reason.")),
)
