"""Crisis plans in the registry: `[crisis]` and `plans/`, the crisis tables, notifying the team
and reminding owners (cycle steps and a job), the crisis panel and the public dark site."""

from __future__ import annotations

from datetime import datetime

from hotline.base.config import Config
from hotline.base.cycle import CycleReport
from hotline.base.registry import CycleStep, Feature, Section
from hotline.crisis import jobs, models, notify, reminders, settings
from hotline.web.i18n import N_


def _notify(now: datetime, report: CycleReport) -> None:
    """A crisis team member who is due a (repeated) notification call, or a deputy to call in."""
    report["crisis_calls"].extend(notify.notify_due(now))


def _remind(now: datetime, report: CycleReport) -> None:
    """An overdue checklist step whose owner was not reminded lately."""
    report["crisis_reminders"].extend(reminders.remind_overdue(now))


def _update_due(now: datetime, report: CycleReport) -> None:
    """A published statement whose promised next update is due: its drafter and communications are texted."""
    report["crisis_update_reminders"].extend(reminders.remind_update_due(now))


def _check(cfg: Config) -> list[str]:
    crisis = cfg.section(settings.CrisisSettings)
    if not crisis.plans:
        return [f"  crisis plans: none (no *.toml in {crisis.plans_dir}); confirming a report activates nothing"]
    lines = [f"  crisis plans ({crisis.plans_dir}), two-person rule {'on' if crisis.two_person_rule else 'off'}:"]
    for key, plan in crisis.plans.items():
        team = ", ".join(f"{t.role}={'+'.join(a.key for a in t.leads)}"
                         + (f" (deputy {t.deputy.key})" if t.deputy else "") for t in plan.team)
        lines.append(f"    {key}: team {team}; {len(plan.steps)} steps; statement in {', '.join(plan.statement)}")
    missing = sorted(set(cfg.incident_types) - set(crisis.plans) - {"other"})
    if missing:
        lines.append(f"    no plan for: {', '.join(missing)}")
    return lines


FEATURE = Feature(
    name="crisis",
    sections=(Section("crisis", settings.CrisisSettings, settings.load_section),),
    models=(models,),
    jobs=jobs.SPECS,
    followups=jobs.FOLLOWUPS,
    cycle=(CycleStep("crisis_calls", 60, _notify), CycleStep("crisis_reminders", 61, _remind),
           CycleStep("crisis_update_reminders", 62, _update_due)),
    check=_check,
    pages=("hotline.crisis.pages", "hotline.crisis.darksite.routes"),
    words=(N_("Crisis plan"), N_("Crisis plan activated: the team is being called."), N_("Marked as a false alarm."),
           N_("Marked as a false alarm: paging stopped, nobody is called for it any more."),
           N_("Say why it is a false alarm."), N_("Open the dark site"), N_("The incident is closed."),
           N_("Done"), N_("Step done."), N_("Step reopened."), N_("A statement cannot be empty."),
           N_("Statement drafted: a second person must approve it."), N_("Statement published."),
           N_("You drafted this statement: a second person must approve it."),
           N_("first_notice"), N_("update"), N_("all_clear"), N_("Staff are being told."),
           N_("Notice to staff drafted: a second person must approve it on the Broadcasts page.")),
)
