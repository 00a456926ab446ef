"""Snooze (issue #25): a named person stops paging for 15, 30 or 60 minutes with a reason, and
paging starts again by itself when the time is up (`snooze_ended`, asked by the convergence
cycle); a plain stop never ends by itself. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from hotline.base.lifecycle import Actor, Channel
from hotline.base.models import AuditEvent, Incident
from hotline.base.states import IncidentStatus as S
from hotline.paging import commands
from hotline.paging.followups import Page
from tests.support.callout import T0, DbUnderTest, add_incidents

ALICE = Actor("alice", Channel.CONSOLE)


def _incident(db: DbUnderTest, status: str = S.PAGING) -> int:
    with db.session() as s:
        (incident_id,) = add_incidents(s)
        incident = s.get(Incident, incident_id)
        assert incident is not None
        incident.status, incident.page_due_at = status, T0
    return incident_id


def test_a_snooze_needs_a_person_a_reason_and_a_set_time(db: DbUnderTest):
    incident_id = _incident(db)
    with db.session() as s:
        assert commands.snooze(s, incident_id, ALICE, 15, "  ", T0).code == "reason_required"
        assert commands.snooze(s, incident_id, Actor("system", Channel.CONSOLE), 15, "x", T0).code == "reason_required"
        assert commands.snooze(s, incident_id, ALICE, 45, "on it", T0).code == "bad_snooze"
        assert s.get(Incident, incident_id).status == S.PAGING


def test_a_snooze_stops_paging_until_its_time_then_paging_starts_again(db: DbUnderTest):
    incident_id = _incident(db)
    with db.session() as s:
        out = commands.snooze(s, incident_id, ALICE, 30, "calling the caller back", T0)
        assert (out.ok, out.code) == (True, "snoozed")
    with db.session() as s:
        incident = s.get(Incident, incident_id)
        assert incident.status == S.STOPPED and incident.paging_stopped_by == "alice"
        assert incident.page_due_at.replace(tzinfo=T0.tzinfo) == T0 + timedelta(minutes=30)
        (row,) = s.scalars(select(AuditEvent).where(AuditEvent.incident_id == incident_id,
                                                    AuditEvent.kind == "status_stopped"))
        assert (row.actor, row.detail["action"], row.detail["minutes"], row.detail["reason"]) == (
            "alice", "snooze", 30, "calling the caller back")
        # a second snooze or stop of a snoozed incident changes nothing
        assert commands.snooze(s, incident_id, ALICE, 15, "again", T0).code == "not_paging"
        assert commands.stop_paging(s, incident_id, ALICE, "again", T0).code == "not_paging"
    with db.session() as s:
        assert commands.snooze_ended(s, incident_id, T0 + timedelta(minutes=29)).code == "not_due"
        out = commands.snooze_ended(s, incident_id, T0 + timedelta(minutes=30))
        assert out.ok and out.then == (Page(incident_id),)
    with db.session() as s:
        incident = s.get(Incident, incident_id)
        assert incident.status == S.NEW and incident.paging_stopped_by is None
        assert incident.page_due_at.replace(tzinfo=T0.tzinfo) == T0 + timedelta(minutes=30)  # due now
        kinds = [(e.kind, e.actor, (e.detail or {}).get("action")) for e in s.scalars(
            select(AuditEvent).where(AuditEvent.incident_id == incident_id).order_by(AuditEvent.id))]
        assert kinds[-1] == ("status_new", "system", "snooze ended")
        assert commands.snooze_ended(s, incident_id, T0 + timedelta(hours=2)).code == "not_due"  # once


def test_a_plain_stop_and_an_early_page_again_never_end_by_themselves(db: DbUnderTest):
    stopped, snoozed = _incident(db), _incident(db)
    with db.session() as s:
        assert commands.stop_paging(s, stopped, ALICE, "a drill", T0).ok
        assert commands.snooze(s, snoozed, ALICE, 15, "on it", T0).ok
    with db.session() as s:
        assert commands.page_again(s, snoozed, ALICE, T0 + timedelta(minutes=5)).ok  # ended early by a person
    with db.session() as s:
        later = T0 + timedelta(hours=1)
        assert commands.snooze_ended(s, stopped, later).code == "not_due"
        assert commands.snooze_ended(s, snoozed, later).code == "not_due"
        assert s.get(Incident, stopped).status == S.STOPPED


def test_an_accepted_or_closed_snoozed_incident_stays_so(db: DbUnderTest):
    accepted, closed = _incident(db), _incident(db)
    with db.session() as s:
        for incident_id in (accepted, closed):
            assert commands.snooze(s, incident_id, ALICE, 15, "on it", T0).ok
        assert commands.accept(s, person="lin", name="Lin Mei", actor=ALICE, incident_id=accepted, now=T0).ok
        assert commands.resolve(s, closed, ALICE, "done", T0).ok
    with db.session() as s:
        for incident_id in (accepted, closed):
            assert commands.snooze_ended(s, incident_id, T0 + timedelta(hours=1)).code == "not_due"
        assert s.get(Incident, accepted).status == S.ACCEPTED and s.get(Incident, closed).status == S.CLOSED
