"""Broadcasts in the registry: `[broadcasts]`, their tables, the senders (jobs) and their cycle
step, `run.py broadcast`, the console pages, the public reply and push doors, the Twilio
webhooks, and their part in the SMS channel (answers, and a responder's accept by text)."""

from __future__ import annotations

from datetime import datetime

from hotline.base.config import Config
from hotline.base.cycle import CycleReport
from hotline.base.registry import Command, CycleStep, Feature, Section, TextHandler
from hotline.broadcasts import jobs, models, settings, texts
from hotline.web.i18n import N_


def _step(now: datetime, report: CycleReport) -> None:
    jobs.converge(now, report)


def _broadcast(argv: list[str]) -> int:
    from hotline.broadcasts.cli import main

    return main(argv)


def _check(cfg: Config) -> list[str]:
    s = cfg.section(settings.BroadcastSettings)
    rates = ", ".join(f"{c} {r:g}/s" for c, r in s.rates.items())
    email = f"email via {s.email.host}:{s.email.port}" if s.email.configured else "no email (set [broadcasts.email])"
    return [f"  broadcasts: two-person rule {'on' if s.two_person_rule else 'off'}; next channel after "
            f"{s.retry_minutes} min; {rates}; {email}"]


FEATURE = Feature(
    name="broadcasts",
    sections=(Section("broadcasts", settings.BroadcastSettings, settings.load_section),),
    models=(models,),
    jobs=jobs.SPECS,
    followups=jobs.FOLLOWUPS,
    cycle=(CycleStep("broadcasts", 80, _step),),
    commands=(Command("broadcast", "send|list|show|approve|cancel ...",
                      "tell groups of the directory something, and see who answered", _broadcast),),
    check=_check,
    pages=("hotline.broadcasts.pages", "hotline.broadcasts.public", "hotline.broadcasts.webhooks"),
    texts=(TextHandler("opt_out", 0, texts.opt_out), TextHandler("responder_accept", 10, texts.accept),
           TextHandler("broadcast_answer", 20, texts.answer)),
    words=(N_("draft"), N_("sending"), N_("done"), N_("cancelled"),  # broadcast states
           N_("queued"), N_("sent"), N_("delivered"), N_("failed"), N_("replied"), N_("skipped"),  # delivery states
           N_("unreachable"),
           N_("Broadcast drafted: a second person must approve it."), N_("Broadcast approved: sending."),
           N_("You drafted this broadcast: a second person must approve it."), N_("Broadcast stopped."),
           N_("Already approved.")),
)
