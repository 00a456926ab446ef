"""The broadcasts' door for the crisis plans (the one module `hotline.crisis` may import, as the
independence contract in pyproject.toml says): a plan stage's notice to staff, and the first
statement to staff on the approval that publishes it. Reviews use it too, for the one email path
(`[broadcasts.email]`): an action item's reminder to its owner."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from hotline.base.config import Config
from hotline.base.lifecycle import Actor, Outcome, audited
from hotline.base.models import Incident
from hotline.broadcasts import commands, emailer
from hotline.broadcasts.settings import BroadcastSettings


@dataclass(frozen=True)
class Notice:
    """What a plan's `[broadcast]` table asks for, filled in for one crisis."""

    incident_id: int
    stage: str  # first_notice | update | all_clear | statement
    title: str
    bodies: dict[str, str]  # per language, placeholders already filled
    groups: tuple[str, ...]
    channels: tuple[str, ...]
    ask_safety: bool
    help_type: str
    retry_minutes: int | None = None  # None: [broadcasts] retry_minutes


def two_person_rule(cfg: Config) -> bool:
    """`[broadcasts] two_person_rule`, for a plan that does not say."""
    return cfg.section(BroadcastSettings).two_person_rule


def send(s: Session, cfg: Config, notice: Notice, actor: Actor, two_person: bool,
         approved_by: str | None = None) -> Outcome:
    """Draft the notice (sent at once without the two-person rule, or when `approved_by` already
    approved what it carries, e.g. the statement it repeats). A drill's notice is never sent: it is
    recorded on the drill incident's timeline as what would have been sent."""
    incident = s.get(Incident, notice.incident_id)
    if incident is not None and incident.drill:  # a drill never sends a broadcast (hotline.crisis.drillmode 3)
        audited(s, "broadcast.drill_would_send", notice.incident_id, actor, stage=notice.stage, title=notice.title,
                groups=list(notice.groups), channels=list(notice.channels), bodies=dict(notice.bodies),
                approved_by=approved_by)
        return Outcome(True, "drill_would_send", "drill: recorded as would-send, nobody was told",
                       (notice.incident_id,))
    retry = notice.retry_minutes or cfg.section(BroadcastSettings).retry_minutes
    spec = commands.Spec(notice.title, notice.bodies, notice.groups, notice.channels,
                         "safety" if notice.ask_safety else None, retry, notice.help_type,
                         source="plan" if notice.stage != "statement" else "statement", stage=notice.stage,
                         incident_id=notice.incident_id, approved_by=approved_by)
    return commands.draft(s, spec, actor, two_person)


@dataclass(frozen=True)
class Mailed:
    ok: bool
    error: str = ""
    permanent: bool = False  # refused for good: trying again will not help


def email_person(cfg: Config, to: str, subject: str, text: str, message_id: str) -> Mailed:
    """One email to one person through `[broadcasts.email]` (plain text and HTML); not configured
    is a permanent failure. Blocking: call it outside a transaction."""
    settings = cfg.section(BroadcastSettings).email
    if not settings.configured:
        return Mailed(False, "no [broadcasts.email] host and sender", True)
    try:
        emailer.send(settings, emailer.build_notice(settings.sender, to, subject, text, message_id))
    except emailer.EmailError as exc:
        return Mailed(False, str(exc), exc.permanent)
    return Mailed(True)
