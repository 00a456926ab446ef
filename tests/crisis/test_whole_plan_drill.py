"""A drill of the whole plan, on the sim: the drill's report is accepted by phone, the plan is
activated in drill mode, only the drill's participants on the team are called (they join the
bridge), a statement is drafted and approved and shows only on the drill's preview page, a
notice to staff is recorded as would-send, and every step is measured against its target in the
drill's results. The public dark site and its feeds answer byte for byte as before the drill."""

from __future__ import annotations

from datetime import timedelta
from urllib.error import HTTPError
from urllib.request import urlopen

from sqlalchemy import select

from hotline.base.jobs import run
from hotline.base.lifecycle import Actor, Channel
from hotline.base.models import Incident, utcnow
from hotline.broadcasts import door
from hotline.broadcasts.models import Broadcast
from hotline.crisis import commands as crisis
from hotline.crisis import team
from hotline.crisis.models import Crisis, CrisisMember
from hotline.crisis.settings import CrisisSettings
from hotline.drills import commands as drills
from hotline.drills import report as drill_report
from hotline.drills.models import DrillState
from hotline.drills.settings import DrillSettings, Scenario
from hotline.rotas.policy import OncallSettings
from tests.support.crisis import client_for
from tests.support.sandbox import Hotline

ALICE, BOB = Actor("alice", Channel.CONSOLE), Actor("bob", Channel.CONSOLE)
PUBLIC = ("/site/", "/site/en-US/", "/site/zh-TW/", "/site/feed.atom", "/site/en-US/feed.atom",
          "/site/zh-TW/feed.atom")


def public_site(h: Hotline) -> dict[str, tuple[int, bytes]]:
    """What the public reads at each dark-site address, over real HTTP."""
    out = {}
    for path in PUBLIC:
        try:
            with urlopen(f"http://127.0.0.1:{h.port}{path}", timeout=10) as r:
                out[path] = (r.status, r.read())
        except HTTPError as err:
            out[path] = (err.code, err.read())
    return out


def crisis_calls(h: Hotline) -> list:
    return [c for c in h.sim.call_objects() if "/voice/crisis/answer" in (c.options.url or "")]


def test_a_whole_plan_drill_reaches_only_its_participants_and_nothing_public(h: Hotline):
    cfg = h.config
    seats = team.leads(cfg.section(CrisisSettings).plans["cyber_security"], cfg.section(OncallSettings).rotas,
                       utcnow())
    lead = {seat.role: seat.person for seat in seats}
    inside = (lead["legal"], lead["management"])  # the drill's participants: two of the team
    outside = {seat.person for seat in seats} - set(inside)
    assert outside, "the test needs team members outside the drill"
    everyone = {p.phone for p in cfg.people.values()}
    for phone in everyone:
        h.sim.phone(phone).manual()
    before_public = public_site(h)
    messages_before, calls_before = len(h.sim.messages), {c.sid for c in h.sim.call_objects()}

    # The drill: a tabletop of the whole plan, its report rung to the participants.
    sc = Scenario(key="", kind="tabletop", type_key="cyber_security", severity="danger",
                  report_text="The mail server is encrypting files", participants=inside, whole_plan=True)
    created = drills.run(drills.create, cfg, sc, ALICE)
    assert drills.run(drills.start, cfg, created.drill_id, ALICE).ok
    first = h.sim.wait_for(lambda: next((c for c in h.sim.call_objects() if c.sid not in calls_before
                                         and c.direction == "outbound-api"), None), 20, "the drill's first call")
    assert first.to == cfg.people[inside[0]].phone
    handle = h.sim.handle(first.sid)
    handle.answer()
    handle.expect_say("Press 1 to accept")
    handle.press("1")
    handle.expect_say("Thank you")
    handle.hangup()
    with h.session() as s:
        incident = s.scalars(select(Incident).where(Incident.drill_id == created.drill_id)).one()
    h.wait_for(lambda: _accepted(h, incident.id), what="the drill report accepted")
    # Taken, but a whole-plan drill goes on: the cycle does not finish it.
    h.converge()

    # The plan, activated on the drill's report: only the participants are called.
    out = run(crisis.activate, incident.id, cfg, ALICE, acceptor_only=False)
    assert out.ok, out.message
    inside_phones = {cfg.people[p].phone for p in inside}
    h.wait_for(lambda: {c.to for c in crisis_calls(h)} == inside_phones or None, what="the participants' calls")
    not_called = {e.detail["person"] for e in h.audit(incident.id, "crisis.drill_not_called")}
    assert not_called == outside
    with h.session() as s:
        crisis_id = s.scalars(select(Crisis.id).where(Crisis.incident_id == incident.id)).one()
        assert {m.person_key for m in s.scalars(select(CrisisMember).where(CrisisMember.crisis_id == crisis_id))} \
            == set(inside)
    for call in crisis_calls(h):
        member = h.sim.handle(call.sid)
        member.answer()
        member.expect_say("This is a drill. This is the")  # every call and text of a drill says so first
        member.press("2")
        member.expect_say("Joining the crisis bridge")
    h.wait_for(lambda: all(m.confirmed_at for m in _members(h, crisis_id)) or None, what="the team confirmed")
    for phone in inside_phones:
        texts = h.wait_for(lambda p=phone: [m.body for m in h.sim.messages if m.to == p and "crisis was" in m.body],
                           what="the crisis text")
        assert all(body.startswith("This is a drill. ") for body in texts), texts

    # Rounds later, deputies would be called in: never one outside the drill.
    repeat = cfg.section(CrisisSettings).repeat_minutes
    for n in (1, 2, 3):
        h.converge(now=utcnow() + timedelta(minutes=n * repeat, seconds=n))

    # A statement: drafted, approved, shown on the drill's preview only; staff notice recorded, not sent.
    assert run(crisis.draft_statement, crisis_id, {"en-US": "Drill statement: mail is down."}, ALICE).ok
    with h.session() as s:
        statement_id = crisis.crisis_for(s, incident.id).statements[0].id  # type: ignore[union-attr]
    assert run(crisis.approve_statement, statement_id, BOB, True, cfg=cfg).code == "published_drill"
    alice = client_for(h, "alice")
    assert alice.post(f"/console/incidents/{incident.id}/crisis/{crisis_id}/dark-site",
                      data={"csrf_token": alice.csrf, "on": "1"}).status_code == 302  # even switched on
    preview = alice.get(f"/console/incidents/{incident.id}/crisis/preview/").get_data(as_text=True)
    assert "Drill statement: mail is down." in preview and 'id="drill-banner"' in preview
    page = alice.get(f"/console/incidents/{incident.id}").get_data(as_text=True)
    assert 'id="drill-banner"' in page and 'id="drill-preview-link"' in page
    with h.session() as s:  # the plan has no [broadcast]: the door itself is asked
        notice = door.Notice(incident.id, "first_notice", "Drill", {"en-US": "Go home"}, ("all_staff",), ("sms",),
                             False, "cyber_security")
        assert door.send(s, cfg, notice, ALICE, False).code == "drill_would_send"
    with h.session() as s:
        assert not list(s.scalars(select(Broadcast)))

    # Nothing public changed, and nobody outside the drill got a call or a text.
    assert public_site(h) == before_public
    outside_phones = {cfg.people[p].phone for p in outside}
    assert not [c for c in h.sim.call_objects() if c.sid not in calls_before and c.to in outside_phones]
    assert not [m for m in h.sim.messages[messages_before:] if m.to in outside_phones]

    # The results: every step of the plan measured against its target.
    with h.session() as s:
        results = drill_report.load(s, created.drill_id, cfg.section(DrillSettings).targets)
    assert results is not None and results.plan is not None
    assert results.plan.activate_seconds is not None and results.plan.team_confirmed_seconds is not None
    assert results.plan.first_statement_seconds is not None
    assert (results.plan.seats, results.plan.confirmed, results.plan.would_send) == (2, 2, 1)
    assert set(results.plan.not_called) == outside
    drill_page = alice.get(f"/console/drills/{created.drill_id}").get_data(as_text=True)
    assert 'id="plan-figures"' in drill_page and 'id="drill-banner"' in drill_page
    assert drills.run(drills.end, created.drill_id, DrillState.FINISHED, ALICE, "done").ok

    # The participants' on-call hours for the drill: the page and the CSV, one row each.
    hours_page = alice.get(f"/console/drills/{created.drill_id}/hours").get_data(as_text=True)
    assert all(f'data-person="{p}"' in hours_page for p in inside) and 'id="drill-banner"' in hours_page
    hours_csv = alice.get(f"/console/drills/{created.drill_id}/hours.csv").get_data(as_text=True).splitlines()
    assert [line.split(",")[1] for line in hours_csv[1:]] == sorted(inside)

    # The drill's review: the same key times, each against its drill target.
    started = alice.post(f"/console/incidents/{incident.id}/review", data={"csrf_token": alice.csrf})
    review = alice.get(started.headers["Location"]).get_data(as_text=True)
    assert 'id="drill-banner"' in review
    md = alice.get(started.headers["Location"] + "/review.md").get_data(as_text=True)
    assert "| Drill target |" in md and md.count(" s / ") == 5  # the Markdown export measures them too
    for key in ("first_ring", "accept", "plan_activated", "team_confirmed", "first_statement"):
        row = review[review.index(f'data-key="{key}"'):]
        assert 'class="target' in row[:row.index("</tr>")], key
        assert "never" not in row[:row.index("</tr>")], key  # the team called is the team that counts


def _members(h: Hotline, crisis_id: int) -> list[CrisisMember]:
    with h.session() as s:
        return list(s.scalars(select(CrisisMember).where(CrisisMember.crisis_id == crisis_id)))


def _accepted(h: Hotline, incident_id: int) -> str | None:
    with h.session() as s:
        return s.get_one(Incident, incident_id).accepted_by
