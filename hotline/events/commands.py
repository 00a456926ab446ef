"""Lifecycle commands for events from monitoring tools (the events API's one door).

The rules, in addition to those of `hotline.paging.commands` (which these commands call):

1. A trigger whose rule says "page" opens an incident (source "api") whose paging is due at
   once; the convergence cycle pages it if the hint is lost, as for any report.
2. A trigger whose rule says "watch" opens an incident that is recorded and explicitly not
   paged: it is STOPPED, "paging stopped by rule <type>.<rule>: <reason>", in the same
   transaction that creates it. So the first law holds unchanged (an open, unaccepted incident
   is paged or stopped by a named decision with a reason), the console shows the reason, and
   "page again" (console, CLI) pages it like any stopped incident.
2b. A trigger whose rule says "activate" opens and pages its incident exactly as "page" does
   (through paging's commands first: the first law), then, in the same transaction, activates
   the crisis plan of its type through the crisis lifecycle (`hotline.crisis.commands.activate`)
   as the system, audited with the rule. If there is no plan, or a verdict already exists, the
   incident is paged all the same and the refusal is audited ("event_activation_refused").
   A repeat never activates: the first trigger did, or a person has decided since.
3. "ignore" creates nothing; the event is audited with its integration and rule.
4. One open incident per (integration, dedup_key), held by a unique index on `event_alerts`:
   a repeat joins it and counts on its timeline; of concurrent first triggers, one creates and
   the others join (`apply` retries the losers). A repeat whose rule now says "page" pages a
   watched incident (page again, by the integration); a stop by a person is left alone.
   Repeats are noted on the timeline once per minute with their count, not once each.
   Once the incident is closed, the key opens a new incident.
5. acknowledge = accept by the integration (`integration:NAME`), of that incident only: it leaves
   its callout first, so a machine never takes the human reports of a storm; the callout ends
   only if nothing else needs it. resolve = `commands.resolve` of that incident only, so a
   machine's resolve never stops paging for a human-reported incident of the same storm.
6. Every event is audited with its integration (on the incident's timeline when there is one).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline.base import audit, jobs
from hotline.base.config import Config
from hotline.base.lifecycle import SYSTEM, Actor, Channel, Outcome
from hotline.base.models import AuditEvent, Incident, utcnow
from hotline.base.states import IncidentStatus
from hotline.crisis import commands as crisis
from hotline.events.integrations import Known
from hotline.events.models import EventAlert
from hotline.events.rules import PAGED, Event, Verdict
from hotline.paging import commands

S = IncidentStatus
Decision = tuple[Verdict, str, str]  # (verdict, rule name, reason), from event_rules.decide
WATCH_PREFIX = "rule "


def actor_for(integration: Known) -> Actor:
    return Actor(f"integration:{integration.name}"[:64], Channel.API)


def trigger(s: Session, integration: Known, event: Event, decision: Decision, cfg: Config,
            now: datetime | None = None) -> Outcome:
    now = now or utcnow()
    actor = actor_for(integration)
    alert = _open_alert(s, integration.id, event.dedup_key)
    if alert is not None:
        incident = s.get(Incident, alert.incident_id)
        if incident is not None and incident.status != S.CLOSED:
            return _repeat(s, alert, incident, event, decision, actor, now)
        _close_alert(s, alert.id, now)  # closed by a person: this key starts a new incident
    verdict, rule, reason = decision
    if verdict == Verdict.IGNORE:
        audit.record(s, "event_ignored", None, actor=actor.who, via=str(actor.channel), dedup_key=event.dedup_key,
                     rule=rule, reason=reason, summary=event.summary[:200])
        return Outcome(True, "ignored", reason)
    paged = verdict in PAGED
    incident, opened = commands.open_report(s, type_key=integration.type_key, lang=cfg.default_language, actor=actor,
                                            source="api",
                                            severity=event.severity, page_at=now if paged else None)
    s.add(EventAlert(integration_id=integration.id, incident_id=incident.id, dedup_key=event.dedup_key,
                     open_key=event.dedup_key, summary=event.summary, source=event.source[:255],
                     severity=event.severity, custom_details=dict(event.custom_details), decision=str(verdict),
                     rule=rule[:120], created_at=now, last_event_at=now))
    s.flush()  # IntegrityError here: a concurrent trigger opened this key first; `apply` retries and joins
    audit.record(s, "event_received", incident.id, actor=actor.who, via=str(actor.channel), action="trigger",
                 dedup_key=event.dedup_key, summary=event.summary[:500], source=event.source[:255],
                 severity=event.severity, rule=rule, decision=str(verdict), reason=reason)
    if not paged:
        commands.watch(s, incident.id, WATCH_PREFIX + rule, reason, actor, now)
        return Outcome(True, "watched", reason, (incident.id,))
    if verdict == Verdict.ACTIVATE:
        return _activate(s, incident.id, cfg, rule, reason, opened, now)
    return Outcome(True, "paged", reason, (incident.id,), then=opened.then)


def _activate(s: Session, incident_id: int, cfg: Config, rule: str, reason: str, opened: Outcome,
              now: datetime) -> Outcome:
    """Rule 2b: the incident is already open and due to be paged; now its plan, by the system."""
    out = crisis.activate(s, incident_id, cfg, SYSTEM, acceptor_only=False, now=now)
    if not out.ok:
        audit.record(s, "event_activation_refused", incident_id, actor=SYSTEM.who, via=str(SYSTEM.channel),
                     rule=rule, code=out.code, reason=out.message)
        return Outcome(True, "paged", f"{reason}; not activated: {out.message}", (incident_id,), then=opened.then)
    audit.record(s, "event_activated", incident_id, actor=SYSTEM.who, via=str(SYSTEM.channel), rule=rule,
                 reason=reason)
    return Outcome(True, "activated", f"{reason}; {out.message}", (incident_id,), then=opened.then + out.then)


def _repeat(s: Session, alert: EventAlert, incident: Incident, event: Event, decision: Decision, actor: Actor,
            now: datetime) -> Outcome:
    count = s.scalar(update(EventAlert).where(EventAlert.id == alert.id)
                     .values(events=EventAlert.events + 1, last_event_at=now).returning(EventAlert.events))
    verdict, rule, reason = decision
    _note_repeat(s, incident.id, actor, event, count or 0, now)
    watched = incident.status == S.STOPPED and (incident.paging_stopped_by or "").startswith(WATCH_PREFIX)
    if verdict in PAGED and watched:
        out = commands.page_again(s, incident.id, actor, now)
        if out.ok:
            return Outcome(True, "paged", f"{reason} (was watched)", (incident.id,), then=out.then)
    return Outcome(True, "joined", f"repeat {count}", (incident.id,))


def _note_repeat(s: Session, incident_id: int, actor: Actor, event: Event, count: int, now: datetime) -> None:
    """One timeline row per incident and minute, counting (a flood must not bury the timeline):
    `count` is the events received so far, `repeats` those noted on this row. The update of the
    alert just before holds its row, so concurrent repeats of one key take turns here."""
    minute = now.replace(second=0, microsecond=0)
    row = s.scalar(select(AuditEvent).where(AuditEvent.incident_id == incident_id, AuditEvent.kind == "event_repeated",
                                            AuditEvent.at >= minute).order_by(AuditEvent.id.desc()).limit(1))
    if row is None:
        audit.record(s, "event_repeated", incident_id, actor=actor.who, via=str(actor.channel),
                     dedup_key=event.dedup_key, count=count, repeats=1, summary=event.summary[:200])
        return
    row.detail = {**row.detail, "count": max(count, int(row.detail.get("count", 0))),
                  "repeats": int(row.detail.get("repeats", 1)) + 1, "summary": event.summary[:200]}


def acknowledge(s: Session, integration: Known, dedup_key: str, now: datetime | None = None) -> Outcome:
    """The monitoring tool says someone is on it: that incident is accepted by the integration."""
    now = now or utcnow()
    found = _received(s, integration, "acknowledge", dedup_key)
    if isinstance(found, Outcome):
        return found
    actor, alert = found
    out = commands.accept_alone(s, alert.incident_id, actor, now)
    if not out.ok:
        return Outcome(True, out.code, out.message, out.incident_ids)
    return Outcome(True, "accepted", out.message, out.incident_ids, out.callout_id, actor.who, integration.name,
                   then=out.then)


def resolve(s: Session, integration: Known, dedup_key: str, now: datetime | None = None) -> Outcome:
    """The monitoring tool says it is over: that incident is closed, and the key is free again."""
    now = now or utcnow()
    found = _received(s, integration, "resolve", dedup_key)
    if isinstance(found, Outcome):
        return found
    actor, alert = found
    _close_alert(s, alert.id, now)
    out = commands.resolve(s, alert.incident_id, actor, now=now)
    return out if out.ok else Outcome(True, out.code, out.message, (alert.incident_id,))


def _received(s: Session, integration: Known, action: str, dedup_key: str) -> tuple[Actor, EventAlert] | Outcome:
    """An acknowledge or resolve, audited on its incident: who acts and the open alert it names,
    or the answer for a key with no open alert."""
    actor = actor_for(integration)
    alert = _open_alert(s, integration.id, dedup_key)
    if alert is None:
        return _unknown(s, actor, action, dedup_key)
    audit.record(s, "event_received", alert.incident_id, actor=actor.who, via=str(actor.channel), action=action,
                 dedup_key=dedup_key)
    return actor, alert


def _unknown(s: Session, actor: Actor, action: str, dedup_key: str) -> Outcome:
    """The Events API answers success for an acknowledge or resolve of nothing; so do we, audited."""
    audit.record(s, "event_unmatched", None, actor=actor.who, via=str(actor.channel), action=action,
                 dedup_key=dedup_key)
    return Outcome(True, "no_open_incident", f"no open incident for {dedup_key}")


def _open_alert(s: Session, integration_id: int, dedup_key: str) -> EventAlert | None:
    return s.scalar(select(EventAlert).where(EventAlert.integration_id == integration_id,
                                             EventAlert.open_key == dedup_key))


def _close_alert(s: Session, alert_id: int, now: datetime) -> None:
    s.execute(update(EventAlert).where(EventAlert.id == alert_id, EventAlert.open_key.is_not(None))
              .values(open_key=None, closed_at=now))


def apply(command: Callable[..., Outcome], *args: Any, **kwargs: Any) -> Outcome:
    """`jobs.run`, retried when a concurrent event for the same key won the insert (rule 4)."""
    for attempt in range(5):
        try:
            return jobs.run(command, *args, **kwargs)
        except IntegrityError:
            if attempt == 4:
                raise
    raise AssertionError("unreachable")
