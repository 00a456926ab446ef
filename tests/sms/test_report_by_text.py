"""Reporting by SMS end to end through the sim's inbound texts and the signed /sms/incoming
webhook: the first text is a report at once (with its reference and the IVR's type menu texted
back, in the sender's language), a digit picks the type and pages that type's rota now, a sender
who never answers is paged as "unclassified" once the menu's wait is over, later texts and photos
join the same report, the responder hears what was written, and STOP is kept."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from sqlalchemy import select

from hotline.base.models import Incident, IncidentStatus, utcnow
from hotline.broadcasts.models import OptOut
from hotline.textreports.models import Stage, TextConversation
from tests.support import e2e
from tests.support.e2e import CHEN, LIN, WANG, quiet_phones  # noqa: F401  (autouse)
from tests.support.sandbox import HOTLINE, Hotline


@pytest.fixture(scope="module")
def h(redis_url, tmp_path_factory):
    hotline = e2e.make_hotline(tmp_path_factory.mktemp("sms-reports"), redis_url, "sqlite")
    yield hotline
    hotline.close()


def sms_report(h: Hotline, sender: str) -> tuple[Incident, TextConversation]:
    with h.session() as s:
        conv = s.scalar(select(TextConversation).where(TextConversation.sender == sender)
                        .order_by(TextConversation.id.desc()).limit(1))
        assert conv is not None
        incident = s.get(Incident, conv.incident_id)
        assert incident is not None
        return incident, conv


def code_for(h: Hotline, type_key: str) -> str:
    return next(digit for digit, key in h.app.config["TYPE_CODES"].items() if key == type_key)


def test_a_text_is_a_report_and_the_digit_pages_that_types_rota(h: Hotline):
    sender = "+886933000001"
    [answer] = h.sim.phone(sender).text(HOTLINE, "Someone is posting our customer list online")
    incident, conv = sms_report(h, sender)
    assert f"report {incident.ref} received" in answer
    assert f"{code_for(h, 'reputation')} = " in answer and "call " + HOTLINE in answer
    assert (incident.source, incident.caller, incident.type_key, incident.status) == \
        ("sms", sender, "unclassified", IncidentStatus.NEW)
    assert incident.page_due_at is not None  # the first law: paged even if the menu is never answered

    [thanks] = h.sim.phone(sender).text(HOTLINE, code_for(h, "reputation"))
    assert thanks.startswith(f"Thank you. Report {incident.ref}:") and "calling the people on duty" in thanks
    wang = e2e.next_call(h, WANG)  # reputation's rota, paged now rather than at the menu's deadline
    wang.answer()
    wang.expect_say("Someone is posting our customer list online")  # what the reporter wrote, read out
    incident, conv = sms_report(h, sender)
    assert incident.type_key == "reputation" and conv.stage == Stage.CLASSIFIED


def test_a_sender_who_never_picks_a_type_is_paged_unclassified(h: Hotline):
    sender = "+886933000002"
    [answer] = h.sim.phone(sender).text(HOTLINE, "地震，三樓天花板掉下來，有人受傷")
    incident, _ = sms_report(h, sender)
    assert f"已收到通報 {incident.ref}" in answer  # a text in Chinese is answered in Chinese
    assert incident.language == "zh-TW"
    h.converge(utcnow() + timedelta(seconds=10))
    assert e2e.callout_of(h, incident.id) is None  # the menu's wait is not over
    h.converge(utcnow() + timedelta(minutes=2))
    e2e.next_call(h, CHEN)  # the default rota: nobody picked a type, so nobody's report waits on it
    assert sms_report(h, sender)[0].type_key == "unclassified"
    # A digit after paging began keeps the people already called; it is kept as a text.
    [later] = h.sim.phone(sender).text(HOTLINE, "3")
    assert later == f"已加入通報 {incident.ref}。"


def test_more_texts_and_photos_join_the_same_report(h: Hotline):
    sender = "+886933000003"
    h.sim.phone(sender).text(HOTLINE, "Chemical smell in lab B")
    media = [("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1", "image/jpeg")]
    [added] = h.sim.phone(sender).text(HOTLINE, "", media)
    incident, conv = sms_report(h, sender)
    assert added.startswith(f"Added to report {incident.ref}.")
    assert [t["media"] for t in conv.texts] == [[], [media[0][0]]]
    notes = [e.detail.get("text", "") for e in h.audit(incident.id) if e.kind == "note"]
    assert any("Chemical smell in lab B" in n for n in notes)
    assert any("1 photo, shown with the conversation" in n for n in notes), notes
    assert not any(media[0][0] in n for n in notes), notes  # the provider's URL opens for nobody
    with h.session() as s:
        assert s.scalar(select(TextConversation.id).where(TextConversation.sender == sender)
                        .where(TextConversation.id != conv.id)) is None  # one report, not two


def test_help_gets_instructions_and_stop_is_kept_without_a_report(h: Hotline):
    sender = "+886933000004"
    [help_text] = [t for t in h.sim.phone(sender).text(HOTLINE, "HELP") if t.startswith("Hotline:")]
    assert "text what happened" in help_text
    [twilios] = h.sim.phone(sender).text(HOTLINE, "STOP")  # Twilio's own answer; ours is not sent
    assert twilios.startswith("You have successfully been unsubscribed")
    with h.session() as s:
        assert s.scalar(select(OptOut.phone).where(OptOut.phone == sender)) == sender
        assert s.scalar(select(TextConversation.id).where(TextConversation.sender == sender)) is None
    h.sim.phone(sender).text(HOTLINE, "START")
    with h.session() as s:
        assert s.scalar(select(OptOut.phone).where(OptOut.phone == sender)) is None


def test_an_unsigned_text_is_refused_and_changes_nothing(h: Hotline):
    r = requests.post(f"{h.public_url}/sms/incoming", data={"MessageSid": "SMforged", "From": "+886933000005",
                                                           "To": HOTLINE, "Body": "fake report"}, timeout=5)
    assert r.status_code == 403
    with h.session() as s:
        assert s.scalar(select(TextConversation.id).where(TextConversation.sender == "+886933000005")) is None


def test_a_responder_can_still_accept_by_text(h: Hotline):
    sender = "+886933000006"
    h.sim.phone(sender).text(HOTLINE, "Flooding in the basement car park")
    h.sim.phone(sender).text(HOTLINE, code_for(h, "natural_disaster"))
    incident, _ = sms_report(h, sender)
    e2e.next_call(h, CHEN)
    [answer] = h.sim.phone(LIN).text(HOTLINE, f"1 {incident.ref}")
    assert answer == f"You accepted report {incident.ref}. Call the hotline to hear it."
    h.wait_for(lambda: e2e.incident(h, incident.id).status == IncidentStatus.ACCEPTED, what="accepted")
