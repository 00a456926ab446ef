"""The events API end to end: Events v2 JSON over real HTTP to the running app, the lifecycle,
the callout through the sim, and the responder's phone."""

from __future__ import annotations

import threading

from sqlalchemy import select

from hotline.base.states import CALLOUT_ACTIVE, NEEDS_PAGING, IncidentStatus
from hotline.paging.callout.states import CalloutState
from hotline.paging.models import Callout
from tests.support import e2e
from tests.support.e2e import CHEN, quiet_phones  # noqa: F401  (autouse: phones wait for the test)
from tests.support.events import action, add_integration, alerts_for, incident_count, post, trigger
from tests.support.sandbox import Hotline

S = IncidentStatus
pytest_generate_tests = e2e.databases_for_h


def test_trigger_pages_press_1_accepts_and_a_later_acknowledge_changes_nothing(h: Hotline) -> None:
    key = add_integration(h, "ids-main").key
    r = post(h, trigger(key, "leak-accept", affected_records=5000, host="db-1"))
    assert r.status_code == 202, r.text
    assert r.json() == {"status": "success", "message": "Event processed", "dedup_key": "leak-accept"}
    incident_id = alerts_for(h, "leak-accept")[0].incident_id
    assert e2e.incident(h, incident_id).source == "api"

    chen = e2e.next_call(h, CHEN)
    chen.answer()
    chen.expect_say("monitoring source ids-1")
    chen.expect_say("The alert says: Data leak on db-1")
    chen.expect_say("Press 4 to hear the alert's details")
    chen.press("4")
    chen.expect_say("affected records: 5000")
    chen.press("1")
    chen.expect_say("Thank you, Chen Wei")
    assert h.wait_for(lambda: e2e.incident(h, incident_id).status == S.ACCEPTED, what="accepted")
    assert e2e.incident(h, incident_id).accepted_by == "chen"

    r = post(h, action(key, "acknowledge", "leak-accept"))  # the tool acknowledges too: chen keeps it
    assert r.status_code == 202
    assert e2e.incident(h, incident_id).accepted_by == "chen"
    kinds = [(e.kind, e.detail.get("action")) for e in h.audit(incident_id)]
    assert ("event_received", "trigger") in kinds and ("event_received", "acknowledge") in kinds


@e2e.ALSO_ON_POSTGRESQL
def test_acknowledge_while_ringing_accepts_by_the_integration_and_stops_the_calls(h: Hotline) -> None:
    key = add_integration(h, "ids-ack").key
    assert post(h, trigger(key, "leak-ack", affected_records=2000)).status_code == 202
    incident_id = alerts_for(h, "leak-ack")[0].incident_id
    chen = e2e.next_call(h, CHEN)
    assert post(h, action(key, "acknowledge", "leak-ack")).status_code == 202
    incident = e2e.incident(h, incident_id)
    assert incident.status == S.ACCEPTED and incident.accepted_by == "integration:ids-ack"
    chen.expect_hangup()  # nobody needs the callout any more: its call is ended
    callout = h.wait_for(lambda: _cancelled_callout(h, incident_id), what="the callout to end")
    assert callout.state == CalloutState.CANCELLED


def _cancelled_callout(h: Hotline, incident_id: int) -> Callout | None:
    with h.session() as s:
        for c in s.scalars(select(Callout).order_by(Callout.id.desc()).limit(5)):
            if c.state == CalloutState.CANCELLED and "acknowledged by integration:ids-ack" in (c.cancel_reason or ""):
                return c
    return None


@e2e.ALSO_ON_POSTGRESQL
def test_the_same_dedup_key_joins_and_counts_repeats(h: Hotline) -> None:
    key = add_integration(h, "ids-dedup").key
    before = incident_count(h)
    for _ in range(3):
        assert post(h, trigger(key, "leak-dedup", affected_records=1500)).status_code == 202
    assert incident_count(h) == before + 1
    [alert] = alerts_for(h, "leak-dedup")
    assert alert.events == 3
    repeats = h.audit(alert.incident_id, "event_repeated")  # one row a minute, counting
    assert repeats[-1].detail["count"] == 3 and sum(e.detail["repeats"] for e in repeats) == 2


def test_thresholds_page_watch_and_ignore(h: Hotline) -> None:
    key = add_integration(h, "ids-rules").key
    before = incident_count(h)

    assert post(h, trigger(key, "small", severity="warning", affected_records=12)).status_code == 202
    watched = e2e.incident(h, alerts_for(h, "small")[0].incident_id)
    assert watched.status == S.STOPPED  # recorded, shown with the reason, explicitly not paged
    assert watched.paging_stopped_by == "rule cyber_security.otherwise"
    assert "no rule of cyber_security matched" in (watched.paging_stopped_reason or "")

    assert post(h, trigger(key, "chatter", severity="info")).status_code == 202
    assert alerts_for(h, "chatter") == [] and incident_count(h) == before + 1
    ignored = [e for e in h.audit(kind="event_ignored") if e.detail.get("dedup_key") == "chatter"]
    assert ignored and ignored[0].detail["rule"] == "cyber_security.noise"
    h.converge()
    assert e2e.callout_of(h, watched.id) is None  # the convergence cycle leaves a watched incident alone
    assert e2e.incident(h, watched.id).status == S.STOPPED

    # The same key now crosses the threshold: the watched incident is paged.
    assert post(h, trigger(key, "small", severity="warning", affected_records=5000)).status_code == 202
    callout = h.wait_for(lambda: e2e.callout_of(h, watched.id), what="the watched incident to be paged")
    h.wait_for(lambda: any(a.person_key == "chen" for a in e2e.attempts(h, callout.id)), what="chen to be rung")
    assert e2e.incident(h, watched.id).status in NEEDS_PAGING


def test_a_machine_resolve_never_stops_paging_for_a_human_report_of_the_same_storm(h: Hotline) -> None:
    key = add_integration(h, "ids-storm").key
    assert post(h, trigger(key, "storm-1", affected_records=9999)).status_code == 202
    machine = alerts_for(h, "storm-1")[0].incident_id
    e2e.next_call(h, CHEN)
    human = e2e.report(h, keys="22").id  # a caller reports the same type: it joins the callout
    assert h.wait_for(lambda: e2e.callout_of(h, human), what="the human report to join the callout")
    assert post(h, action(key, "resolve", "storm-1")).status_code == 202
    assert e2e.incident(h, machine).status == S.CLOSED
    assert e2e.incident(h, human).status in NEEDS_PAGING
    callout = e2e.callout_of(h, human)
    assert callout is not None and callout.state in CALLOUT_ACTIVE
    # The key is free again: a new trigger opens a new incident.
    assert post(h, trigger(key, "storm-1", affected_records=9999)).status_code == 202
    assert len(alerts_for(h, "storm-1")) == 2


@e2e.ALSO_ON_POSTGRESQL
def test_a_flood_for_one_key_opens_one_incident(h: Hotline) -> None:
    key = add_integration(h, "ids-flood").key
    before = incident_count(h)
    statuses: list[int] = []

    def send() -> None:
        statuses.append(post(h, trigger(key, "flood", affected_records=5000)).status_code)

    threads = [threading.Thread(target=send) for _ in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [202] * 30
    assert incident_count(h) == before + 1
    [alert] = alerts_for(h, "flood")
    assert alert.events == 30
    repeats = h.audit(alert.incident_id, "event_repeated")
    assert len(repeats) <= 2 and sum(e.detail["repeats"] for e in repeats) == 29  # the timeline is not buried
