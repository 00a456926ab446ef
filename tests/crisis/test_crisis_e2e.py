"""From a phone report to the crisis team, on the sim: report -> accept -> confirm -> every team
phone rings at once -> two join the bridge -> an overdue step re-notifies its owner; and a false
alarm activates nothing."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from hotline.base import jobs
from hotline.base.lifecycle import Actor, Channel
from hotline.base.models import utcnow
from hotline.base.pins import set_pin
from hotline.crisis import team
from hotline.crisis.darksite.export import export
from hotline.crisis.models import BridgeLeg, Crisis, CrisisMember, CrisisState, CrisisStatement, CrisisStep
from hotline.crisis.settings import CrisisSettings
from hotline.paging import commands
from hotline.provider.rest import client
from hotline.rotas.policy import OncallSettings
from sim import conference
from tests.support.crisis import client_for
from tests.support.sandbox import HOTLINE, Hotline

CALLER = "+886912345678"


def report_and_accept(h: Hotline, caller: str = CALLER):
    """A cyber-security report (menu key 2, no danger), accepted by whoever the callout rings first."""
    c = h.report("22", caller)
    incident = h.wait_for(lambda: h.incident_for(c.sid), what="incident")
    seen = {x.sid for x in h.sim.call_objects()}
    call = h.sim.wait_for(lambda: next((x for x in h.sim.call_objects() if x.direction == "outbound-api"
                                        and x.sid not in seen or _callout_call(h, x, incident.id)), None),
                          20, "the callout's first call")
    handle = h.sim.handle(call.sid)
    handle.answer()
    handle.expect_say("Press 1 to accept")
    handle.press("1")
    handle.expect_say("Thank you")
    handle.expect_say("Press 7 to confirm the report is real")
    return incident, handle


def _callout_call(h: Hotline, call, incident_id: int) -> bool:
    return call.direction == "outbound-api" and "/voice/callout/" in (call.options.url or "") and \
        call.status.value in ("ringing", "queued")


def team_numbers(h: Hotline) -> dict[str, str]:
    cfg = h.config
    plan = cfg.section(CrisisSettings).plans["cyber_security"]
    seats = team.leads(plan, cfg.section(OncallSettings).rotas, utcnow())
    return {seat.role: cfg.people[seat.person].phone for seat in seats}


def crisis_calls(h: Hotline) -> list:
    return [c for c in h.sim.call_objects() if "/voice/crisis/answer" in (c.options.url or "")]


def test_confirm_rings_the_whole_team_at_once_and_two_join_the_bridge(h: Hotline):
    for phone in {*team_numbers(h).values(), CALLER}:
        h.sim.phone(phone).manual()
    incident, handle = report_and_accept(h)
    handle.press("7")
    handle.expect_say("The crisis plan is activated")
    numbers = team_numbers(h)
    h.wait_for(lambda: len(crisis_calls(h)) >= len(numbers), what="a call to every team member")
    calls = crisis_calls(h)
    assert {c.to for c in calls} == set(numbers.values())
    # At once: every team phone rings together, before anyone has answered (nobody waits for another).
    h.wait_for(lambda: all(c.status.value == "ringing" for c in calls), what="every team phone ringing")
    for number in set(numbers.values()):
        h.sim.phone(number).expect_sms("crisis was activated")
    with h.session() as s:
        crisis = s.scalar(select(Crisis).where(Crisis.incident_id == incident.id))
        assert crisis.state == CrisisState.ACTIVE
    assert h.audit(incident.id, "crisis.activated")

    legal = next(c for c in calls if c.to == numbers["legal"])
    management = next(c for c in calls if c.to == numbers["management"])
    for call, role in ((legal, "legal"), (management, "management")):
        member = h.sim.handle(call.sid)
        member.answer()
        member.expect_say(f"You are the {role if role != 'legal' else 'legal'} lead")
        member.press("2")
        member.expect_say("Joining the crisis bridge")
    h.wait_for(lambda: len(_on_bridge(h, crisis.id)) == 2, what="two on the bridge")
    room = next(r for r in conference.listing(h.sim) if r["friendly_name"] == f"crisis-{crisis.id}")
    assert set(room["participants"]) == {legal.sid, management.sid}
    rest = client().conferences(room["sid"]).participants.list()  # the sim's REST API, as Twilio's
    assert {p.call_sid for p in rest} == {legal.sid, management.sid}
    with h.session() as s:
        confirmed = {m.role for m in s.scalars(select(CrisisMember).where(CrisisMember.crisis_id == crisis.id))
                     if m.confirmed_at}
    assert confirmed == {"legal", "management"}

    h.sim.handle(legal.sid).hangup()
    h.wait_for(lambda: len(_on_bridge(h, crisis.id)) == 1, what="legal to leave the bridge")
    dial_in_to_the_bridge(h, crisis.id, numbers["it_security"])

    # Nobody ticks a step off: past the first deadline the convergence cycle texts its owner.
    with h.session() as s:
        first = s.scalars(select(CrisisStep).where(CrisisStep.crisis_id == crisis.id)
                          .order_by(CrisisStep.due_at)).first()
        owner_phone = numbers[first.owner_role]
    before = len(h.sim.messages)
    report = h.converge(now=utcnow() + (first.due_at - utcnow()) + timedelta(seconds=1))
    assert first.id in report["crisis_reminders"]
    assert any(m.to == owner_phone and "is not done yet" in m.body for m in h.sim.messages[before:])
    assert h.audit(incident.id, "crisis.step_overdue_sms")
    # Those who have not confirmed are called again on the next round; those who did are not.
    again = h.converge(now=utcnow() + timedelta(minutes=h.config.section(CrisisSettings).repeat_minutes, seconds=1))
    with h.session() as s:
        recalled = {s.get(CrisisMember, m).role for m in again["crisis_calls"]}
    assert recalled and not recalled & {"legal", "management", "it_security"}
    # Still silent after `rounds_before_deputy` calls: the deputies of those roles are called too.
    h.converge(now=utcnow() + timedelta(minutes=2 * h.config.section(CrisisSettings).repeat_minutes, seconds=2))
    deputies = {e.detail["role"]: e.detail["deputy"] for e in h.audit(incident.id, "crisis.deputy_called_in")}
    assert deputies.get("communications") == "director", deputies
    director = h.config.people["director"].phone
    h.wait_for(lambda: any(c.to == director for c in crisis_calls(h) if c.sid != management.sid),
               what="the communications deputy's call")

    publish_a_statement(h, incident.id, crisis.id)

    # Closing the incident ends the crisis's calls and reminders.
    jobs.run(commands.resolve, incident.id, Actor("alice", Channel.CONSOLE), "over")
    later = h.converge(now=utcnow() + timedelta(hours=24))
    assert not later["crisis_calls"] and not later["crisis_reminders"]


def publish_a_statement(h: Hotline, incident_id: int, crisis_id: int) -> None:
    """Drafted by alice from the plan's template, refused when she approves it herself, approved by
    bob; on the dark site and its feed once alice switches it on."""
    public = h.app.test_client()
    dormant = public.get("/site/")
    assert dormant.status_code == 200 and "statement" not in dormant.get_data(as_text=True).lower()
    assert public.get("/site/feed.atom").status_code == 404
    alice, bob = client_for(h, "alice"), client_for(h, "bob")
    page = alice.get(f"/console/incidents/{incident_id}").get_data(as_text=True)
    assert "We have activated our crisis plan" in page  # the plan's template, filled in
    base = f"/console/incidents/{incident_id}/crisis"
    empty = alice.post(f"{base}/{crisis_id}/statements", data={"csrf_token": alice.csrf, "body_en-US": " ",
                                                               "body_zh-TW": ""}, follow_redirects=True)
    assert "A statement cannot be empty." in empty.get_data(as_text=True)
    text = "At 10:00 we detected a cyber-security incident. Next update at 12:00."
    alice.post(f"{base}/{crisis_id}/statements", data={"csrf_token": alice.csrf, "body_en-US": text,
                                                        "body_zh-TW": "我們於十點發現資訊安全事件。"})
    with h.session() as s:
        statement = s.scalars(select(CrisisStatement).where(CrisisStatement.crisis_id == crisis_id)).one()
    own = alice.post(f"{base}/statements/{statement.id}/approve", data={"csrf_token": alice.csrf},
                     follow_redirects=True)
    assert "You drafted this statement: a second person must approve it." in own.get_data(as_text=True)
    bob.post(f"{base}/statements/{statement.id}/approve", data={"csrf_token": bob.csrf})
    alice.post(f"{base}/{crisis_id}/dark-site", data={"csrf_token": alice.csrf, "on": "1"})
    site = public.get("/site/en-US/")
    assert site.status_code == 200 and text in site.get_data(as_text=True)
    assert "Set-Cookie" not in site.headers and "Cookie" not in site.headers.get("Vary", "")
    assert "public" in site.headers["Cache-Control"] and "<script" not in site.get_data(as_text=True)
    feed = public.get("/site/en-US/feed.atom")
    assert feed.mimetype == "application/atom+xml" and text in feed.get_data(as_text=True)
    assert "我們於十點發現資訊安全事件。" in public.get("/site/").get_data(as_text=True)  # zh-TW is the default
    exported = export(h.app, h.tmp / "site-export", h.config.languages)  # what `run.py darksite export` writes
    assert text in (h.tmp / "site-export" / "en-US" / "index.html").read_text(encoding="utf-8")
    assert {p.name for p in exported} >= {"index.html", "feed.atom", "site.css"}
    kinds = [e.kind for e in h.audit(incident_id)]
    assert {"crisis.statement_drafted", "crisis.statement_published", "crisis.dark_site_on"} <= set(kinds)


def dial_in_to_the_bridge(h: Hotline, crisis_id: int, phone: str) -> None:
    """The IT-security lead (in a rota, so recognised by caller ID) dials the hotline, chooses the
    bridge, proves who they are with their PIN and joins; joining confirms them."""
    person = next(key for key, p in h.config.people.items() if p.phone == phone)
    set_pin(h.config.data_dir, f"person:{person}", "135792")
    call = h.sim.dial(phone, HOTLINE)
    call.expect_say("值班人員您好")
    call.expect_say("加入危機電話會議請按5")
    call.press("5")
    call.expect_say("請輸入密碼")
    call.press("135792#")
    call.expect_say("正在加入危機電話會議")
    h.wait_for(lambda: any(leg.person_key == person for leg in _on_bridge(h, crisis_id)),
               what="the dial-in on the bridge")
    with h.session() as s:
        member = s.scalar(select(CrisisMember).where(CrisisMember.crisis_id == crisis_id,
                                                      CrisisMember.person_key == person))
        assert member.confirmed_at is not None
    call.hangup()


def _on_bridge(h: Hotline, crisis_id: int) -> list[BridgeLeg]:
    with h.session() as s:
        return list(s.scalars(select(BridgeLeg).where(BridgeLeg.crisis_id == crisis_id, BridgeLeg.left_at.is_(None))))


def test_a_false_alarm_activates_nothing(h: Hotline):
    caller = "+886912345679"
    h.sim.phone(caller).manual()
    incident, handle = report_and_accept(h, caller)
    before = len(crisis_calls(h))
    handle.press("8")
    handle.expect_say("Marked as a false alarm")
    with h.session() as s:
        crisis = s.scalar(select(Crisis).where(Crisis.incident_id == incident.id))
        assert crisis.state == CrisisState.FALSE_ALARM
        assert not list(s.scalars(select(CrisisMember).where(CrisisMember.crisis_id == crisis.id)))
    h.converge()
    assert len(crisis_calls(h)) == before
    assert h.audit(incident.id, "crisis.false_alarm") and not h.audit(incident.id, "crisis.activated")


def test_finding6_the_admin_sets_the_dark_site_on_or_off_and_a_replayed_key_changes_nothing(h: Hotline):
    """The dark-site key asks on or off (a set): pressing "off" twice, or replaying it, leaves it off."""
    with h.session() as s:
        newest = s.scalars(select(Crisis).where(Crisis.state == CrisisState.ACTIVE)
                           .order_by(Crisis.decided_at.desc())).first()
        was_on = newest.dark_site_on
    set_pin(h.config.data_dir, "admin", "975310")
    call = h.sim.dial("+886955000777", HOTLINE)
    call.expect_say("請選擇事件類型")
    call.press("*")
    call.press("975310#")
    call.expect_say("開啟或關閉危機資訊網頁請按5")
    want_on = not was_on
    kind = "crisis.dark_site_on" if want_on else "crisis.dark_site_off"
    before = len(h.audit(newest.incident_id, kind))
    for _ in range(2):  # the same choice twice: still the state chosen, not flipped back
        call.press("5")
        call.expect_say("開啟危機資訊網頁請按1")
        call.expect_say("關閉危機資訊網頁請按2")
        call.press("1" if want_on else "2")
        call.expect_say("危機資訊網頁已開啟" if want_on else "危機資訊網頁已關閉")
        with h.session() as s:
            assert s.get(Crisis, newest.id).dark_site_on is want_on
    call.hangup()
    changes = h.audit(newest.incident_id, kind)
    assert changes[-1].detail["via"] == "dial-in"
    assert len(changes) == before + 1  # set once: the second press changed nothing
