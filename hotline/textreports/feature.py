"""Reports by SMS in the registry: its tables, its place as the SMS channel's last handler, what it
does once a report is accepted (tell the sender), and its cycle step."""

from __future__ import annotations

from hotline.base.registry import Feature, Section, TextHandler
from hotline.textreports import cycle, jobs, models, retention, settings, texts

FEATURE = Feature(
    name="textreports",
    sections=(Section("text_reports", settings.TextReportSettings, settings.load_section),),
    models=(models,),
    texts=(TextHandler("report_by_text", 100, texts.handle),),
    jobs=jobs.SPECS,
    followups=jobs.FOLLOWUPS,
    accepted=(jobs.picked_up,),
    media=(retention.KEPT,),
    cycle=cycle.STEPS,
    pages=("hotline.textreports.pages",),
)
