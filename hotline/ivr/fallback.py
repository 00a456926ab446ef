"""The static fallback flow: for Twilio's VoiceFallbackUrl, the apology after an error, and a
TwiML Bin when we are down.

It depends on nothing but the public URL and the posted form: no database, no Redis, no flow
file. The caller's number travels with the message: `From` (or, when it is withheld, a callback
number asked for on the keypad first) goes into the signed Record action and recording-status
URLs as `from` / `cb`, so whoever files the message can put it on the incident.
Every <Say> carries a voice Twilio documents for its language: the configured ones when the
caller passes them, else the table's defaults (`hotline.base.voices`), which need no config.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from twilio.twiml.voice_response import VoiceResponse

from hotline.base.voices import Voices, default_voices

FALLBACK_TEXTS = {
    "zh-TW": "這裡是緊急通報專線。嗶聲後請說明發生了什麼事、在哪裡，以及您的回電號碼。說完請按井字鍵。",
    "en-US": "This is the emergency line. After the beep, say what happened, where, and your callback number. "
             "Press pound when you are done.",
}
CALLBACK_TEXTS = {
    "zh-TW": "我們看不到您的號碼。請輸入回電號碼，再按井字鍵。",
    "en-US": "We cannot see your number. Enter a callback number, then press pound.",
}
THANKS = {"zh-TW": "謝謝，我們已收到。", "en-US": "Thank you, we have your message."}
REFERENCE = {"zh-TW": "您的通報編號是 {ref}。", "en-US": "Your report number is {ref}."}
SOURCES = ("fallback", "safe")  # VoiceFallbackUrl, or the apology after an error in our webhook


def twiml_bin(public_url: str, max_length: int = 180, voices: Voices | None = None) -> str:
    """For a TwiML Bin: the instructions in every language, a beep; the message is kept.

    It still reports the recording to us, but its action is Twilio's echo Twimlet, so the caller
    is thanked even when our server is unreachable (a <Record> with no action would re-request the
    Bin and record again). Twilio keeps the recording either way.
    """
    voices = voices or default_voices()
    r = VoiceResponse()
    for lang, text in FALLBACK_TEXTS.items():
        r.say(text, **voices.say(lang))
    r.record(action=_echo(thanks(voices=voices)), **_record_kwargs(public_url, "fallback", max_length, {}))
    return str(r)


def take_message(r: VoiceResponse, public_url: str, source: str, max_length: int, caller: str | None,
                 callback: str | None, ask_callback: bool = False, instructions: bool = True,
                 voices: Voices | None = None) -> VoiceResponse:
    """Record the caller's message, carrying their number; with `ask_callback` (From withheld)
    first gather a callback number, whose answer comes back to /voice/fallback. `instructions`
    off when the caller was just told what to do (the apology says it)."""
    voices = voices or default_voices()
    base = public_url.rstrip("/")
    source = source if source in SOURCES else "fallback"
    if ask_callback:
        g = r.gather(action=f"{base}/voice/fallback?{urlencode({'src': source, 'asked': '1'})}", method="POST",
                     timeout=10, finish_on_key="#", action_on_empty_result=True)
        for lang, text in CALLBACK_TEXTS.items():
            g.say(text, **voices.say(lang))
        return r
    for lang, text in FALLBACK_TEXTS.items() if instructions else ():
        r.say(text, **voices.say(lang))
    who = {k: v for k, v in (("from", caller), ("cb", callback)) if v}
    action = "safe-recorded" if source == "safe" else "fallback-recorded"
    r.record(action=f"{base}/voice/{action}" + (f"?{urlencode(who)}" if who else ""),
             **_record_kwargs(base, source, max_length, who))
    r.hangup()  # no message recorded: the status callback (absent) still files the call
    return r


def _record_kwargs(base: str, source: str, max_length: int, who: dict[str, str]) -> dict[str, object]:
    return dict(method="POST", max_length=max_length, timeout=10, finish_on_key="#", play_beep=True,
                recording_status_callback=f"{base.rstrip('/')}/voice/recording-status?"
                                          + urlencode({"src": source, **who}),
                recording_status_callback_event="completed absent failed")


def thanks(ref: str | None = None, voices: Voices | None = None) -> VoiceResponse:
    """Thank the caller; with the incident's reference when the database could give it."""
    voices = voices or default_voices()
    r = VoiceResponse()
    for lang, text in THANKS.items():
        r.say(text + (REFERENCE[lang].format(ref=" ".join(ref)) if ref else ""), **voices.say(lang))
    r.hangup()
    return r


def _echo(response: VoiceResponse) -> str:
    return "https://twimlets.com/echo?Twiml=" + quote(str(response), safe="")
