"""Handlers for the simple TwiML verbs: Say, Play, Pause, Gather, Redirect, Hangup, Reject.

Defaults follow Twilio's docs: Say loop=1 (0 = repeat until interrupted), Gather
timeout=5 finishOnKey="#" method=POST action=current document, and a Gather that gets no
digits falls through to the next verb unless actionOnEmptyResult="true". A Gather whose action
URL has `secret=1` is a PIN entry: its digits are masked in every log (sim/masking.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim import audio, voices
from sim.callstate import CallStatus
from sim.masking import is_secret, mask_typed_ahead
from sim.runner import CallEnded, NextDoc, verb
from sim.signing import resolve
from sim.twiml import Verb
from sim.webhooks import fetch_media

if TYPE_CHECKING:
    from sim.runner import CallRunner

INFINITE_LOOPS = 1000  # Twilio repeats loop="0" media "until the call is hung up"; bounded here
_media_cache: dict[str, tuple[float, str | None]] = {}  # URL -> duration, like Twilio's media cache


def _loops(item: Verb) -> tuple[int, bool]:
    count = item.int_attr("loop", 1)
    return (INFINITE_LOOPS, True) if count <= 0 else (count, False)


@verb("Say")
def say(run: CallRunner, item: Verb, in_gather: bool = False) -> NextDoc | None:
    """A voice/language pair Twilio does not document (sim/voices.py) plays nothing: warning 13511."""
    language = item.attr("language", voices.DEFAULT_LANGUAGE) or voices.DEFAULT_LANGUAGE
    voice = item.attr("voice", voices.DEFAULT_VOICE) or voices.DEFAULT_VOICE
    refused = voices.problem(voice, language)
    if refused:
        run.log("error", code=voices.WARN_INVALID_VOICE, message=refused, verb="Say", text=item.text, voice=voice,
                language=language, url=run.doc_url)
        return None
    seconds = audio.say_duration(item.text)
    loops, forever = _loops(item)
    for index in range(loops):
        run.check()
        run.log("say", text=item.text, language=language, voice=voice, duration=seconds, loop=index + 1)
        if run.play_media(seconds, interruptible=in_gather, forever=forever):
            run.log("barge_in", verb="Say")
            return None
    return None


def media_info(run: CallRunner, url: str) -> tuple[float, str | None]:
    """Duration of the audio at `url` (cached per URL) and an error text if it could not be fetched."""
    if url in _media_cache:
        return _media_cache[url]
    data, error = fetch_media(url, run.sim.webhook_timeout)
    if error or data is None:
        return 0.0, error or "empty response"
    _media_cache[url] = (audio.duration(data), None)
    return _media_cache[url]


@verb("Play")
def play(run: CallRunner, item: Verb, in_gather: bool = False) -> NextDoc | None:
    url = resolve(run.doc_url, item.text) if item.text else ""
    if item.attr("digits"):
        run.log("play_digits", digits=item.attr("digits"))
        if not url:
            return None
    seconds, error = media_info(run, url)
    if error:
        run.log("error", code=11200, message=f"<Play> could not fetch {url}: {error}", url=url)
        return None
    loops, forever = _loops(item)
    for index in range(loops):
        run.check()
        run.log("play", url=url, duration=round(seconds, 2), loop=index + 1)
        if run.play_media(seconds, interruptible=in_gather, forever=forever):
            run.log("barge_in", verb="Play")
            return None
    return None


@verb("Pause")
def pause(run: CallRunner, item: Verb, in_gather: bool = False) -> NextDoc | None:
    length = item.int_attr("length", 1)
    run.log("pause", length=length)
    if run.play_media(float(length), interruptible=in_gather, silence=True):
        run.log("barge_in", verb="Pause")
    return None


_NESTED = {"Say": say, "Play": play, "Pause": pause}


@verb("Gather")
def gather(run: CallRunner, item: Verb) -> NextDoc | None:
    action = item.attr("action") or run.doc_url or ""
    if not is_secret(action):
        return _gather(run, item, action)
    run.call.secret_input = True  # a PIN: masked in every event until its webhook has answered
    try:
        return _gather(run, item, action)
    finally:
        run.call.secret_input = False


def _gather(run: CallRunner, item: Verb, action: str) -> NextDoc | None:
    timeout = item.int_attr("timeout", 5)
    finish_on_key = item.attrs.get("finishOnKey", "#")
    num_digits = item.int_attr("numDigits", 0) or None
    method = item.attr("method", "POST") or "POST"
    if "speech" in (item.attr("input", "dtmf") or "dtmf"):
        run.log("warning", message="input=speech is not simulated; only DTMF is gathered")
    run.log("gather", timeout=timeout, finish_on_key=finish_on_key, num_digits=num_digits, action=action)
    for child in item.children:
        _NESTED[child.name](run, child, in_gather=True)
        if run.has_dtmf():
            break
    run.input_point("gather")  # a scripted human answers after hearing the prompt
    digits, finished_on = "", ""
    while True:
        run.check()
        key = run.pop_dtmf()
        if key is None:
            if not run.wait(run.now() + timeout, run.has_dtmf):
                run.check()
                break
            continue
        if key in finish_on_key:
            finished_on = key
            break
        digits += key
        if num_digits and len(digits) >= num_digits:
            break
    if run.call.secret_input:
        with run.sim.cond:
            mask_typed_ahead(run.call.events, len(digits) + len(finished_on))
    run.log("gather_result", digits=digits, finished_on_key=finished_on)
    if not digits and not item.bool_attr("actionOnEmptyResult", False):
        return None
    return run.fetch(action, method, {"Digits": digits, "FinishedOnKey": finished_on}, "gather")


@verb("Redirect")
def redirect(run: CallRunner, item: Verb) -> NextDoc | None:
    url = item.text or run.doc_url or ""
    run.log("redirect", url=resolve(run.doc_url, url), method=item.attr("method", "POST"), source="twiml")
    return run.fetch(url, item.attr("method", "POST") or "POST", None, "redirect")


@verb("Hangup")
def hangup(run: CallRunner, item: Verb) -> NextDoc | None:
    raise CallEnded(CallStatus.COMPLETED, "app")


@verb("Reject")
def reject(run: CallRunner, item: Verb) -> NextDoc | None:
    """Only meaningful as the first verb of an inbound call (handled by the runner); else a hangup."""
    run.log("reject", reason=item.attr("reason", "rejected"))
    raise CallEnded(CallStatus.COMPLETED, "app")
