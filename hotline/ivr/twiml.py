"""Render the engine's `Screen` as TwiML. The only place that knows TwiML verbs for the IVR."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from urllib.parse import urlencode

from twilio.twiml.voice_response import Gather, VoiceResponse

from hotline.ivr.fallback import take_message
from hotline.ivr.flow_engine import Screen, Utterance

AudioFor = Callable[[Utterance], str | None]


def url(base: str, path: str, query: dict[str, str] | None = None) -> str:
    return f"{base.rstrip('/')}{path}" + (f"?{urlencode(query)}" if query else "")


def speak(target: VoiceResponse | Gather, utterances: Iterable[Utterance], audio_for: AudioFor) -> None:
    """A published recording when there is one, else text-to-speech in the caller's language."""
    for u in utterances:
        audio = u.audio or (audio_for(u) if u.prompt else None)
        if audio:
            target.play(audio)
        elif u.text:
            target.say(u.text, language=u.lang)


def render(screen: Screen, base: str, audio_for: AudioFor, notice: tuple[Utterance, ...] = ()) -> VoiceResponse:
    """Caller hears: notice, then the node's prompts; a key press interrupts (barge-in)."""
    r = VoiceResponse()
    says = notice + screen.says
    q = screen.state.query()
    if screen.secret:
        q = {**q, "secret": "1"}  # marks a PIN entry: the sim masks these digits in its logs
    if screen.kind == "gather":
        g = r.gather(action=url(base, "/voice/step", q), method="POST", timeout=screen.timeout,
                     num_digits=screen.num_digits, finish_on_key="#" if screen.num_digits is None else "",
                     action_on_empty_result=True)
        speak(g, says, audio_for)
    elif screen.kind == "record":
        speak(r, says, audio_for)
        q = {**q, "r": screen.purpose}
        r.record(action=url(base, "/voice/recorded", q), method="POST", max_length=screen.max_length,
                 timeout=screen.timeout, finish_on_key="#", play_beep=True,
                 recording_status_callback=url(base, "/voice/recording-status", q),
                 recording_status_callback_event="completed absent failed")
    elif screen.kind == "dial":
        speak(r, says, audio_for)
        r.dial(screen.dial_number, action=url(base, "/voice/dial-done", q), method="POST", timeout=screen.timeout)
    else:
        speak(r, says, audio_for)
        r.hangup()
    return r


def apology(base: str, texts: dict[str, str], max_length: int = 180, caller: str | None = None) -> VoiceResponse:
    """When anything fails: apologise in every language and still take the caller's message, with
    their number (asked for on the keypad first when caller ID is withheld)."""
    r = VoiceResponse()
    for lang, text in texts.items():
        r.say(text, language=lang)
    return take_message(r, base, "safe", max_length, caller, None, ask_callback=caller is None, instructions=False)
