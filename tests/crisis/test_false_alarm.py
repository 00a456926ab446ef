"""Issue #23, item 6, reproduced: "Mark as a false alarm" on a report nobody accepted used to
leave it paging (round after round, minutes later). The verdict now stops its paging through
paging's own command, by the admin who gave it, with the verdict as the reason; the incident
page says so, and no further rota call is placed."""

from __future__ import annotations

from datetime import timedelta

from hotline.base.models import Incident, utcnow
from hotline.base.states import IncidentStatus
from tests.support.crisis import client_for
from tests.support.sandbox import Hotline

CALLER = "+886912345677"


def _rota_calls(h: Hotline) -> list:
    return [c for c in h.sim.call_objects() if "/voice/callout/" in (c.options.url or "")]


def test_a_false_alarm_on_an_unaccepted_report_stops_its_paging(h: Hotline):
    for person in h.config.people.values():
        h.sim.phone(person.phone).manual()  # nobody answers: the callout would go round after round
    h.sim.phone(CALLER).manual()
    call = h.report("22", CALLER)
    incident = h.wait_for(lambda: h.incident_for(call.sid), what="incident")
    h.wait_for(lambda: any(True for _ in _rota_calls(h)) and h.incident_for(call.sid).status == IncidentStatus.PAGING
               or None, what="the report paging")

    alice = client_for(h, "alice")
    page = alice.post(f"/console/incidents/{incident.id}/crisis/false-alarm",
                      data={"csrf_token": alice.csrf, "note": "a drill someone forgot to announce"},
                      follow_redirects=True).get_data(as_text=True)

    assert "Marked as a false alarm: paging stopped, nobody is called for it any more." in page
    assert "This verdict stopped the report&#39;s paging" in page or "This verdict stopped the report's paging" in page
    assert "a drill someone forgot to announce" in page
    with h.session() as s:
        row = s.get_one(Incident, incident.id)
        assert row.status == IncidentStatus.STOPPED and row.paging_stopped_by == "alice"
        assert row.paging_stopped_reason == "false alarm: a drill someone forgot to announce"
    assert h.audit(incident.id, "crisis.false_alarm")
    placed = {c.sid for c in _rota_calls(h)}
    for minutes in (1, 3, 6, 12, 30):  # the rounds that used to go on ringing
        h.converge(now=utcnow() + timedelta(minutes=minutes))
    assert {c.sid for c in _rota_calls(h)} == placed
    with h.session() as s:
        assert s.get_one(Incident, incident.id).status == IncidentStatus.STOPPED
