"""A storm worked as a group (issue #25, rule 7 of hotline.paging.commands): accept all, close
all with a reason, merge a duplicate report into another incident, split a report out of a storm
into a callout of its own that is paged at once. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from hotline.base.lifecycle import Actor, Channel
from hotline.base.models import AuditEvent, Incident
from hotline.base.states import CalloutState, IncidentStatus
from hotline.paging import commands
from hotline.paging.callout.store import advance, linked_incident_ids, paging_callout, responsible_callout_id
from hotline.paging.followups import Drive
from hotline.paging.models import Callout
from hotline.rotas.policy import OncallSettings, Policy, Step
from tests.support.callout import PEOPLE, T0, DbUnderTest, add_incidents

S = IncidentStatus
SETTINGS = OncallSettings(rounds=1, repeat_minutes=5, storm_window_minutes=15,
                          policies={"default": Policy("default", (Step("person", "chen", 25),
                                                                  Step("person", "lin", 25)))})
ALICE = Actor("alice", Channel.CONSOLE)
sec = timedelta(seconds=1)


def storm_of(db: DbUnderTest, n: int = 3, type_key: str = "cyber_security") -> tuple[list[int], int]:
    """`n` reports of one type, each paged through the lifecycle: one callout for all of them."""
    with db.session() as s:
        ids = add_incidents(s, n, type_key)
        for i in ids:
            s.get(Incident, i).page_due_at = T0
        s.flush()
        outs = [commands.page(s, i, SETTINGS, T0 + sec) for i in ids]
    assert [o.code for o in outs] == ["opened"] + ["joined"] * (n - 1)
    return ids, outs[0].callout_id


def kinds(s, incident_id: int) -> list[str]:
    return list(s.scalars(select(AuditEvent.kind).where(AuditEvent.incident_id == incident_id)
                          .order_by(AuditEvent.id)))


def test_split_gives_the_report_its_own_callout_and_pages_it(db: DbUnderTest):
    ids, storm = storm_of(db)
    with db.session() as s:
        assert commands.split(s, ids[1], ALICE, "  ", SETTINGS, T0).code == "reason_required"
        out = commands.split(s, ids[1], ALICE, "a different server", SETTINGS, T0 + 2 * sec)
        assert (out.ok, out.code) == (True, "split")
        assert out.callout_id != storm and out.then == (Drive(out.callout_id),)
    with db.session() as s:
        own = paging_callout(s, ids[1])
        assert own is not None and own.id == out.callout_id  # paged, by a callout of its own
        assert linked_incident_ids(s, own.id) == [ids[1]]
        assert sorted(linked_incident_ids(s, storm)) == [ids[0], ids[2]]  # the storm goes on for the others
        assert s.get(Callout, storm).state in (CalloutState.PENDING, CalloutState.DIALING)
        first = advance(s, own.id, SETTINGS, PEOPLE, T0 + 3 * sec)  # what the Drive follow-up does
        assert first.contact.person == "chen"  # type: ignore[union-attr]
        assert "incident_split" in kinds(s, ids[1])
        assert "incident_split_off" in kinds(s, ids[0]) and "incident_split_off" in kinds(s, ids[2])
        line = s.scalars(select(AuditEvent).where(AuditEvent.kind == "incident_split")).one()
        assert (line.actor, line.detail["reason"]) == ("alice", "a different server")
    with db.session() as s:  # alone now: nothing to split off, and a new report of its type joins the storm
        assert commands.split(s, ids[1], ALICE, "again", SETTINGS, T0 + 4 * sec).code == "not_in_storm"
        (late,) = add_incidents(s, 1)
        s.get(Incident, late).page_due_at = T0
        assert commands.page(s, late, SETTINGS, T0 + 5 * sec).callout_id == storm


def test_accepting_the_split_report_leaves_the_storm_unaccepted(db: DbUnderTest):
    ids, storm = storm_of(db)
    with db.session() as s:
        commands.split(s, ids[0], ALICE, "not the same outage", SETTINGS, T0 + 2 * sec)
    with db.session() as s:
        out = commands.accept(s, person="lin", name="Lin Mei", actor=ALICE, incident_id=ids[0], now=T0 + 3 * sec)
        assert out.ok and out.incident_ids == (ids[0],)
    with db.session() as s:
        assert [s.get(Incident, i).status for i in ids[1:]] != [S.ACCEPTED, S.ACCEPTED]
        assert paging_callout(s, ids[1]).id == storm


def test_accept_all_takes_the_storm_for_one_person(db: DbUnderTest):
    ids, storm = storm_of(db)
    with db.session() as s:
        (alone,) = add_incidents(s, 1, "other")
        out = commands.accept_all(s, [*ids, alone], person="lin", name="Lin Mei", actor=ALICE, now=T0 + 2 * sec)
        assert (out.ok, out.code) == (True, "accepted_all") and sorted(out.incident_ids) == sorted([*ids, alone])
    with db.session() as s:
        assert {(s.get(Incident, i).status, s.get(Incident, i).accepted_by) for i in [*ids, alone]} == {
            (S.ACCEPTED, "lin")}
        assert s.get(Callout, storm).state == CalloutState.ACCEPTED
        again = commands.accept_all(s, ids, person="chen", name="Chen Wei", actor=ALICE, now=T0 + 3 * sec)
        assert (again.ok, again.code) == (False, "already_taken")


def test_close_all_needs_a_reason_and_closes_each_report(db: DbUnderTest):
    ids, storm = storm_of(db)
    with db.session() as s:
        assert commands.close_all(s, ids, ALICE, "").code == "reason_required"
        assert commands.close_all(s, ids, Actor("system", Channel.CONSOLE), "x").code == "reason_required"
        out = commands.close_all(s, ids, ALICE, "false alarm: a test page", T0 + 2 * sec)
        assert (out.ok, out.code) == (True, "closed_all") and sorted(out.incident_ids) == sorted(ids)
    with db.session() as s:
        assert {s.get(Incident, i).status for i in ids} == {S.CLOSED}
        assert s.get(Callout, storm).state == CalloutState.CANCELLED  # the last report closed ends the callout
        notes = list(s.scalars(select(AuditEvent).where(AuditEvent.kind == "note")))
        assert sorted(n.incident_id for n in notes) == sorted(ids)
        assert {(n.actor, n.detail["text"]) for n in notes} == {("alice", "false alarm: a test page")}


def test_merge_joins_the_target_callout_and_is_accepted_with_it(db: DbUnderTest):
    ids, storm = storm_of(db, 1)
    with db.session() as s:
        (dup,) = add_incidents(s, 1, "other")  # reported under another type: its own callout
        s.get(Incident, dup).page_due_at = T0
        own = commands.page(s, dup, SETTINGS, T0 + sec).callout_id
        assert own != storm
        assert commands.merge(s, dup, ids[0], ALICE, "").code == "reason_required"
        assert commands.merge(s, dup, dup, ALICE, "x").code == "same_incident"
        out = commands.merge(s, dup, ids[0], ALICE, "the same caller, twice", T0 + 2 * sec)
        assert (out.ok, out.code) == (True, "merged")
    with db.session() as s:
        assert responsible_callout_id(s, dup) == storm  # joined the target's callout
        assert s.get(Callout, own).state == CalloutState.CANCELLED  # its own ended: nothing else needed it
        assert "incident_merged" in kinds(s, dup) and "incident_merged_in" in kinds(s, ids[0])
        line = s.scalars(select(AuditEvent).where(AuditEvent.kind == "incident_merged_in")).one()
        assert (line.actor, line.detail["from_id"], line.detail["reason"]) == ("alice", dup, "the same caller, twice")
        out = commands.accept(s, person="chen", name="Chen Wei", actor=ALICE, incident_id=ids[0], now=T0 + 3 * sec)
        assert sorted(out.incident_ids) == sorted([ids[0], dup])
    with db.session() as s:
        assert s.get(Incident, dup).status == S.ACCEPTED and s.get(Incident, dup).accepted_by == "chen"


def test_merge_into_an_accepted_or_stopped_incident_takes_its_state(db: DbUnderTest):
    with db.session() as s:
        taken, stopped, dup1, dup2, closed = add_incidents(s, 5, "other")
        for i in (taken, stopped, dup1, dup2, closed):
            s.get(Incident, i).page_due_at = T0
        commands.accept(s, person="wang", name="Wang Hao", actor=ALICE, incident_id=taken, now=T0)
        commands.stop_paging(s, stopped, ALICE, "handled by phone", T0)
        commands.resolve(s, closed, ALICE, "done", T0)
        assert commands.merge(s, dup1, closed, ALICE, "dup", T0).code == "target_not_ready"
        assert commands.merge(s, dup1, taken, ALICE, "same event", T0 + sec).ok
        assert commands.merge(s, dup2, stopped, ALICE, "same event", T0 + sec).ok
        assert commands.merge(s, taken, dup1, ALICE, "x", T0).code == "cannot_merge"  # accepted: not a duplicate
        (drill,) = add_incidents(s, 1, "other")
        s.get(Incident, drill).drill = True
        s.flush()
        assert commands.merge(s, drill, stopped, ALICE, "x", T0).code == "cannot_merge"  # rule 5: never mixed
    with db.session() as s:
        one, two = s.get(Incident, dup1), s.get(Incident, dup2)
        assert (one.status, one.accepted_by) == (S.ACCEPTED, "wang")
        assert two.status == S.STOPPED and two.paging_stopped_by == "alice"
        assert "merged into" in (two.paging_stopped_reason or "")
