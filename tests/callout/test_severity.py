"""Editable severity (issue #25): a named person re-grades a report with a reason, through the
lifecycle; one audit row with the old and new value. On SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select

from hotline.base.lifecycle import Actor, Channel
from hotline.base.models import AuditEvent, Incident
from hotline.paging import commands
from tests.support.callout import DbUnderTest, add_incidents

ALICE = Actor("alice", Channel.CONSOLE)


def test_a_person_changes_the_severity_with_a_reason_and_it_is_audited(db: DbUnderTest):
    with db.session() as s:
        (incident_id,) = add_incidents(s)
        s.get(Incident, incident_id).severity = "normal"
    with db.session() as s:
        assert commands.set_severity(s, incident_id, "dangerous", ALICE, "x").code == "bad_severity"
        assert commands.set_severity(s, incident_id, "danger", ALICE, " ").code == "reason_required"
        assert commands.set_severity(s, incident_id, "danger", Actor("system", Channel.CLI), "x").code == \
            "reason_required"
        assert commands.set_severity(s, incident_id + 1, "danger", ALICE, "x").code == "no_incident"
        assert commands.set_severity(s, incident_id, "normal", ALICE, "x").code == "same_severity"
        assert commands.set_severity(s, incident_id, "danger", ALICE, "smoke on the second floor").ok
    with db.session() as s:
        assert s.get(Incident, incident_id).severity == "danger"
        rows = list(s.scalars(select(AuditEvent).where(AuditEvent.kind == "severity_changed")))
        assert [(e.incident_id, e.actor, e.detail["old"], e.detail["new"], e.detail["reason"]) for e in rows] == [
            (incident_id, "alice", "normal", "danger", "smoke on the second floor")]
