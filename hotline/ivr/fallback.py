"""The static fallback flow: for Twilio's VoiceFallbackUrl and for a TwiML Bin when we are down.

It depends on nothing but the public URL: no database, no Redis, no flow file.
"""

from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse

FALLBACK_TEXTS = {
    "zh-TW": "這裡是緊急通報專線。嗶聲後請說明發生了什麼事、在哪裡，以及您的回電號碼。說完請按井字鍵。",
    "en-US": "This is the emergency line. After the beep, say what happened, where, and your callback number. "
             "Press pound when you are done.",
}
THANKS = {"zh-TW": "謝謝，我們已收到。", "en-US": "Thank you, we have your message."}


def fallback_twiml(public_url: str, max_length: int = 180, standalone: bool = False) -> str:
    """Caller hears: the instructions in every language, a beep; their message is kept.

    `standalone` (for a TwiML Bin) still reports the recording to us, but its action is Twilio's
    echo Twimlet, so the caller is thanked even when our server is unreachable (a <Record> with no
    action would re-request the Bin and record again). Twilio keeps the recording either way.
    """
    base = public_url.rstrip("/")
    r = VoiceResponse()
    for lang, text in FALLBACK_TEXTS.items():
        r.say(text, language=lang)
    kwargs = dict(method="POST", max_length=max_length, timeout=10, finish_on_key="#", play_beep=True,
                  recording_status_callback=f"{base}/voice/recording-status?src=fallback",
                  recording_status_callback_event="completed absent failed")
    r.record(action=_echo(thanks()) if standalone else f"{base}/voice/fallback-recorded", **kwargs)
    return str(r)


def thanks() -> VoiceResponse:
    r = VoiceResponse()
    for lang, text in THANKS.items():
        r.say(text, language=lang)
    r.hangup()
    return r


def _echo(response: VoiceResponse) -> str:
    from urllib.parse import quote

    return "https://twimlets.com/echo?Twiml=" + quote(str(response), safe="")
