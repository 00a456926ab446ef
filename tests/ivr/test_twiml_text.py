"""The IVR writes its TwiML as text (cheaper than the twilio library's element tree, on every
webhook): it must be the library's document byte for byte, for every node of every flow, in both
languages, with the state, notices and recorded prompts a caller can bring."""

from __future__ import annotations

import pytest
from twilio.twiml.voice_response import Gather, VoiceResponse

from hotline.base.config import load_config
from hotline.ivr import twiml
from hotline.ivr.flow import load_flows
from hotline.ivr.flow_engine import CallState, Context, IncidentBrief, Screen, Utterance, screen

BASE = "https://hotline.example.org/base"
VOICES = load_config(env={}).voices
NOTICES = ((), (Utterance('Saved: ref 1 0 0 1 & "more" <now>\nline two\ttab', "en-US"),),
           (Utterance("", "zh-TW", audio="https://hotline.example.org/r/1.wav?a=1&b=2"),))


def library_render(s: Screen, base: str, audio_for: twiml.AudioFor, notice: tuple[Utterance, ...] = ()) -> str:
    """The reference: the same screen through twilio's VoiceResponse, as the IVR rendered it before."""
    voices = load_config(env={}).voices
    def speak(target: VoiceResponse | Gather, utterances: tuple[Utterance, ...]) -> None:
        for u in utterances:
            audio = u.audio or (audio_for(u) if u.prompt else None)
            if audio:
                target.play(audio)
            elif u.text:
                target.say(u.text, **voices.say(u.lang))

    r = VoiceResponse()
    says = notice + s.says
    q = s.state.query()
    if s.secret:
        q = {**q, "secret": "1"}
    if s.kind == "gather":
        g = r.gather(action=twiml.url(base, "/voice/step", q), method="POST", timeout=s.timeout,
                     num_digits=s.num_digits, finish_on_key="#" if s.num_digits is None else "",
                     action_on_empty_result=True)
        speak(g, says)
    elif s.kind == "record":
        speak(r, says)
        q = {**q, "r": s.purpose}
        r.record(action=twiml.url(base, "/voice/recorded", q), method="POST", max_length=s.max_length,
                 timeout=s.timeout, finish_on_key="#", play_beep=True,
                 recording_status_callback=twiml.url(base, "/voice/recording-status", q),
                 recording_status_callback_event="completed absent failed")
    elif s.kind == "dial":
        speak(r, says)
        r.dial(s.dial_number, action=twiml.url(base, "/voice/dial-done", q), method="POST", timeout=s.timeout)
    else:
        speak(r, says)
        r.hangup()
    return str(r)


def screens():
    cfg = load_config(env={})
    flows = load_flows(cfg)
    briefs = (IncidentBrief(7, "1007", "Fire & <smoke>", "paging"), IncidentBrief(8, "1008", "其他", "new"))
    for flow in flows.values():
        for node in flow.nodes:
            for lang in ("zh-TW", "en-US"):
                ctx = Context(org=cfg.org_name, type_names={k: t.name(lang) for k, t in cfg.incident_types.items()},
                              ref="1007", lifeline=cfg.lifeline_number, open_incidents=briefs,
                              review_audio=f"{BASE}/prompts/greeting/{lang}/v1.wav")
                for state in (CallState(node, lang, flow=flow.name),
                              CallState(node, lang, tries=1, fresh=False, incident=7, flow=flow.name, value="1007",
                                        data=(("op", "radio_north"), ("who", "chen")))):
                    yield f"{flow.name}:{node}:{lang}:{state.tries}", screen(flow, state, ctx)


@pytest.mark.parametrize("name,s", list(screens()))
def test_the_text_is_the_librarys_twiml(name, s):
    assert name
    for published in (lambda u: None, lambda u: f"{BASE}/prompts/{u.prompt}/{u.lang}.wav"):
        for notice in NOTICES:
            for secret in (False, True):
                shown = Screen(**{**s.__dict__, "secret": secret})
                assert twiml.render(shown, BASE, published, notice, voices=VOICES) == \
                    library_render(shown, BASE, published, notice)


def test_every_kind_of_screen_is_covered():
    kinds = {s.kind for _, s in screens()}
    assert kinds == {"gather", "record", "dial", "hangup"}
