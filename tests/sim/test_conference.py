"""<Dial><Conference>: two callers join one room, the status callbacks say who joined and left,
the control and REST APIs list who is in it, and the last one out ends it."""

from __future__ import annotations

import requests

from sim import Sim, conference
from tests.support.webapp import HOTLINE, WebApp, twiml

A, B = "+886912000001", "+886912000002"


def test_join_leave_and_who_is_in_the_room(sim: Sim, web: WebApp) -> None:
    events = web.url("room-events")
    web.route("room-events", ("", 204))
    web.route("voice", twiml(f'<Say>Joining</Say><Dial><Conference statusCallback="{events}" '
                             'statusCallbackEvent="start end join leave">crisis-7</Conference></Dial>'))
    sim.add_number(HOTLINE, voice_url=web.url("voice"))
    a = sim.dial(A, HOTLINE)
    a.expect("conference_join")
    b = sim.dial(B, HOTLINE)
    b.expect("conference_join")
    sim.wait_for(lambda: next((r for r in conference.listing(sim) if len(r["participants"]) == 2), None), 5,
                 "two in the room")
    room = requests.get(f"{sim.api_base_url}/sim/api/conferences", timeout=5).json()["conferences"][0]
    assert room["friendly_name"] == "crisis-7" and set(room["participants"]) == {a.sid, b.sid}
    rest = requests.get(f"{sim.api_base_url}/2010-04-01/Accounts/{sim.account_sid}/Conferences/{room['sid']}/"
                        "Participants.json", auth=(sim.account_sid, sim.auth_token), timeout=5).json()
    assert {p["call_sid"] for p in rest["participants"]} == {a.sid, b.sid}
    a.hangup()
    a.expect_hangup()
    b.hangup()
    b.expect_hangup()
    sim.wait_for(lambda: len(web.requests_to("room-events")) >= 6 or None, 5, "the room's callbacks")
    # Each leg posts from its own call, so callbacks may arrive out of order; SequenceNumber orders them.
    hits = sorted(web.requests_to("room-events"), key=lambda h: int(h.params["SequenceNumber"]))
    seen = [(h.params["StatusCallbackEvent"], h.params.get("CallSid")) for h in hits]
    assert seen == [("conference-start", None), ("participant-join", a.sid), ("participant-join", b.sid),
                    ("participant-leave", a.sid), ("participant-leave", b.sid), ("conference-end", None)]
    assert all(h.params["ConferenceSid"] == room["sid"] and h.params["FriendlyName"] == "crisis-7"
               for h in web.requests_to("room-events"))
