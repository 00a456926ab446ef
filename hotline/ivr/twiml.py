"""Render the engine's `Screen` as TwiML. The only place that knows TwiML verbs for the IVR.

Every <Say> carries the voice chosen for its language (`hotline.base.voices`): without one,
Twilio's default voice `man` would be asked to speak Chinese, which it does not.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from urllib.parse import urlencode
from xml.sax.saxutils import escape

from twilio.twiml import lower_camel
from twilio.twiml.voice_response import VoiceResponse

from hotline.base.voices import Voices
from hotline.ivr.fallback import take_message
from hotline.ivr.flow_engine import Screen, Utterance

AudioFor = Callable[[Utterance], str | None]


def url(base: str, path: str, query: dict[str, str] | None = None) -> str:
    return f"{base.rstrip('/')}{path}" + (f"?{urlencode(query)}" if query else "")


def speak(utterances: Iterable[Utterance], audio_for: AudioFor, voices: Voices) -> str:
    """A published recording when there is one, else text-to-speech in the caller's language."""
    out = []
    for u in utterances:
        audio = u.audio or (audio_for(u) if u.prompt else None)
        if audio:
            out.append(_verb("Play", audio))
        elif u.text:
            out.append(_verb("Say", u.text, **voices.say(u.lang)))
    return "".join(out)


def render(screen: Screen, base: str, audio_for: AudioFor, notice: tuple[Utterance, ...] = (), *,
           voices: Voices) -> str:
    """Caller hears: notice, then the node's prompts; a key press interrupts (barge-in)."""
    says = speak(notice + screen.says, audio_for, voices)
    q = screen.state.query()
    if screen.secret:
        q = {**q, "secret": "1"}  # marks a PIN entry: the sim masks these digits in its logs
    if screen.kind == "gather":
        body = _verb("Gather", says, action=url(base, "/voice/step", q), method="POST", timeout=screen.timeout,
                     num_digits=screen.num_digits, finish_on_key="#" if screen.num_digits is None else "",
                     action_on_empty_result=True)
    elif screen.kind == "record":
        q = {**q, "r": screen.purpose}
        body = says + _verb("Record", action=url(base, "/voice/recorded", q), method="POST",
                            max_length=screen.max_length, timeout=screen.timeout, finish_on_key="#", play_beep=True,
                            recording_status_callback=url(base, "/voice/recording-status", q),
                            recording_status_callback_event="completed absent failed")
    elif screen.kind == "dial":
        body = says + _verb("Dial", screen.dial_number or "", action=url(base, "/voice/dial-done", q), method="POST",
                            timeout=screen.timeout)
    else:
        body = says + _verb("Hangup")
    return f"{DECLARATION}<Response>{body}</Response>"


# TwiML written as text: the twilio library's element tree costs more than the rest of a webhook's
# rendering. The same document, byte for byte (tests/ivr/test_twiml_text.py holds it to that).
DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'
_ATTRIBUTE_ENTITIES = {'"': "&quot;", "\r": "&#13;", "\n": "&#10;", "\t": "&#09;"}


def _verb(name: str, body: str = "", **attributes: object) -> str:
    """`body` is text for Say, Play and Dial, and rendered verbs for Gather."""
    attrs = "".join(f' {key}="{escape(_value(value), _ATTRIBUTE_ENTITIES)}"'
                    for key, value in sorted((_camel(k), v) for k, v in attributes.items() if v is not None))
    if not body:
        return f"<{name}{attrs} />"
    return f"<{name}{attrs}>{body if name == 'Gather' else escape(body)}</{name}>"


@functools.cache
def _camel(name: str) -> str:
    return str(lower_camel(name))


def _value(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def apology(base: str, texts: dict[str, str], voices: Voices, max_length: int = 180,
            caller: str | None = None) -> VoiceResponse:
    """When anything fails: apologise in every language and still take the caller's message, with
    their number (asked for on the keypad first when caller ID is withheld)."""
    r = VoiceResponse()
    for lang, text in texts.items():
        r.say(text, **voices.say(lang))
    return take_message(r, base, "safe", max_length, caller, None, ask_callback=caller is None, instructions=False,
                        voices=voices)
