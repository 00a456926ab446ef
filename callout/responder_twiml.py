"""Render a `conversation.Reply` as TwiML for the responder's call. The only TwiML in callout/."""

from __future__ import annotations

from twilio.twiml.voice_response import Gather, VoiceResponse

from callout import links
from callout.briefing import LANG
from callout.conversation import Kind, Reply
from hotline.config import Config

GATHER_SECONDS = 6  # silence after the menu before it is repeated
FAILURE_TEXT = ("This is the crisis hotline. Something went wrong on our side while reading you the report. "
                "Please call the hotline now.")


def render(cfg: Config, attempt_id: int, reply: Reply) -> VoiceResponse:
    r = VoiceResponse()
    if reply.kind == Kind.NOTHING:
        return r
    if reply.kind == Kind.MENU:
        _say(_menu(r, cfg, attempt_id, reply), reply.lines + (reply.menu,))
        return r
    if reply.kind == Kind.RECORDING:
        _say(r, reply.lines)
        if reply.play_url:
            r.play(reply.play_url)
        _say(_menu(r, cfg, attempt_id, reply), (reply.menu,))
        return r
    if reply.kind == Kind.ACCEPTED:
        if reply.menu:
            g = r.gather(action=links.webhook(cfg, "accepted", attempt_id), method="POST", num_digits=1,
                         timeout=GATHER_SECONDS, action_on_empty_result=True)
            _say(g, reply.lines)
            g.say(reply.menu, language=LANG)
        else:
            _say(r, reply.lines)
            r.say("Goodbye.", language=LANG)
            r.hangup()
        return r
    if reply.kind == Kind.CONNECT:
        _say(r, reply.lines)
        dial = r.dial(action=links.webhook(cfg, "connected", attempt_id), method="POST", timeout=30,
                      caller_id=cfg.numbers[0])
        dial.number(reply.dial or "")
        return r
    _say(r, reply.lines)
    r.hangup()
    return r


def failure(cfg: Config | None) -> VoiceResponse:
    """Whatever broke, the responder is told to call the hotline rather than hear an error."""
    r = VoiceResponse()
    number = f" at {' '.join(ch for ch in cfg.numbers[0] if ch.isdigit())}" if cfg and cfg.numbers else ""
    r.say(FAILURE_TEXT.replace("the hotline now", f"the hotline{number} now"), language=LANG)
    r.hangup()
    return r


def _menu(r: VoiceResponse, cfg: Config, attempt_id: int, reply: Reply) -> Gather:
    """One key, barge-in allowed; silence comes back to us (actionOnEmptyResult) to count it."""
    return r.gather(action=links.webhook(cfg, "menu", attempt_id, t=reply.tries, r=reply.rec), method="POST",
                    num_digits=1, timeout=GATHER_SECONDS, action_on_empty_result=True)


def _say(target: VoiceResponse | Gather, lines: tuple[str, ...]) -> None:
    for line in lines:
        target.say(line, language=LANG)
