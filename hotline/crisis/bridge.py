"""The crisis bridge as TwiML: one conference per activated incident, joined from the
notification call (press 2) or by a team member dialling the hotline. Both channels build it
here so the room's name and its join/leave callbacks (what the console shows) are written once.

What the caller hears: "Joining the crisis bridge." then the conference.
"""

from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse

from hotline.base.config import Config
from hotline.crisis import links, phrases


def join(r: VoiceResponse, cfg: Config, crisis_id: int, person: str, lang: str) -> VoiceResponse:
    r.say(phrases.text(lang, "joining"), **cfg.voices.say(lang))
    dial = r.dial()
    dial.conference(links.bridge_name(crisis_id), status_callback=links.bridge_hook(cfg, crisis_id, person),
                    status_callback_event="start end join leave", status_callback_method="POST",
                    start_conference_on_enter=True, end_conference_on_exit=False)
    return r
