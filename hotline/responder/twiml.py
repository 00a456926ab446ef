"""Render a `conversation.Reply` as TwiML for the responder's call. The only TwiML of the responder's call.

Every <Say> carries the reply's language and the voice chosen for it (`hotline.base.voices`), so
the text-to-speech voice matches the words and is one Twilio speaks that language with. On a
drill's call every <Say> begins with the drill notice ("This is a drill." / "這是演練。"), so
nobody mistakes a drill for a real emergency, whatever part of the call they hear first.
"""

from __future__ import annotations

from twilio.twiml.voice_response import Gather, VoiceResponse

from hotline.base.config import Config
from hotline.base.phone import spoken_digits
from hotline.base.voices import default_voices
from hotline.paging.callout import links
from hotline.paging.callout.phrases import LANGUAGES, text
from hotline.responder.conversation import Kind, Reply

GATHER_SECONDS = 6  # silence after the menu before it is repeated


def render(cfg: Config, attempt_id: int, reply: Reply, notice: str = "") -> VoiceResponse:
    """`notice`: the drill notice in the responder's language, for a drill's call; else empty."""
    r = VoiceResponse()

    def _say(target: VoiceResponse | Gather, lines: tuple[str, ...], lang: str) -> None:
        said = tuple(line for line in lines if line)
        if notice and said:  # one <Say> that opens with the notice
            said = (" ".join((notice, *said)),)
        for line in said:
            target.say(line, **cfg.voices.say(lang))

    if reply.kind == Kind.NOTHING:
        return r
    if reply.kind == Kind.MENU:
        _say(_menu(r, cfg, attempt_id, reply), reply.lines + (reply.menu,), reply.language)
        return r
    if reply.kind == Kind.RECORDING:
        _say(r, reply.lines, reply.language)
        if reply.play_url:
            r.play(reply.play_url)
        _say(_menu(r, cfg, attempt_id, reply), (reply.menu,), reply.language)
        return r
    if reply.kind == Kind.ACCEPTED:
        if reply.menu:
            g = r.gather(action=links.webhook(cfg, "accepted", attempt_id), method="POST", num_digits=1,
                         timeout=GATHER_SECONDS, action_on_empty_result=True)
            _say(g, reply.lines + (reply.menu,), reply.language)
        else:
            _say(r, reply.lines + (text(reply.language, "goodbye"),), reply.language)
            r.hangup()
        return r
    if reply.kind == Kind.CONNECT:
        _say(r, reply.lines, reply.language)
        dial = r.dial(action=links.webhook(cfg, "connected", attempt_id), method="POST", timeout=30,
                      caller_id=cfg.numbers[0])
        dial.number(reply.dial or "")
        return r
    _say(r, reply.lines, reply.language)
    r.hangup()
    return r


def failure(cfg: Config | None, lang: str | None = None, drill: bool = False) -> VoiceResponse:
    """Whatever broke, the responder is told to call the hotline rather than hear an error.

    In their language when the webhook could still tell it; otherwise in every language we
    have, since a message they cannot understand is as bad as none. A drill's call says so first.
    """
    r = VoiceResponse()
    number = spoken_digits(cfg.numbers[0]) if cfg and cfg.numbers else ""
    voices = cfg.voices if cfg else default_voices()
    for each in (lang,) if lang in LANGUAGES else _failure_languages(cfg):
        words = text(each, "failure", number=number) if number else text(each, "failure_no_number")
        r.say(f"{text(each, 'drill_notice')} {words}" if drill else words, **voices.say(each))
    r.hangup()
    return r


def _failure_languages(cfg: Config | None) -> tuple[str, ...]:
    """The hotline's languages first (its default leads), then any others we have sentences for."""
    first = tuple(lang for lang in (cfg.languages if cfg else ()) if lang in LANGUAGES)
    return first + tuple(lang for lang in LANGUAGES if lang not in first)


def _menu(r: VoiceResponse, cfg: Config, attempt_id: int, reply: Reply) -> Gather:
    """One key, barge-in allowed; silence comes back to us (actionOnEmptyResult) to count it."""
    return r.gather(action=links.webhook(cfg, "menu", attempt_id, t=reply.tries, r=reply.rec), method="POST",
                    num_digits=1, timeout=GATHER_SECONDS, action_on_empty_result=True)

