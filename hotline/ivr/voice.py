"""Twilio voice webhooks for the reporting flow. Thin: parse the form, call one decision,
apply its effects through the lifecycle's commands, render TwiML.

The caller always hears the truth we know: once a command has committed, the report is safe
in the database, whether or not the queue took the follow-up work (the convergence cycle
does it then).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from flask import Blueprint, Response, current_app, request
from twilio.twiml.voice_response import VoiceResponse

from hotline.base import audit
from hotline.base.config import Config
from hotline.base.jobs import Followup
from hotline.base.lifecycle import Actor, Channel
from hotline.base.log_context import about
from hotline.base.phone import to_e164
from hotline.base.prompts import published_prompt
from hotline.base.security import twilio_webhook
from hotline.ivr import call_check, caller_actions, flow_engine, twiml
from hotline.ivr.fallback import FALLBACK_TEXTS, take_message, thanks
from hotline.ivr.fallback_intake import file_message, keeps_caller
from hotline.ivr.flow import Flow
from hotline.ivr.flow_engine import CallState, Utterance
from hotline.ivr.roles import caller_role, network_verified
from hotline.ivr.voice_context import caller_number, context, prompt_recorded
from hotline.ivr.webhook_unit import Unit, unit
from hotline.paging import commands, incidents

log = logging.getLogger("hotline.voice")
bp = Blueprint("voice", __name__, url_prefix="/voice")


def _cfg() -> Config:
    return current_app.config["HOTLINE"]


def _flow(name: str | None = None) -> Flow:
    flows: dict[str, Flow] = current_app.config["FLOWS"]
    return flows.get(name or "", flows[_cfg().flow])


def _state() -> CallState:
    """Where the caller is, from the signed action URL."""
    cfg = _cfg()
    state = CallState.from_query(request.args.to_dict(), current_app.config["FLOWS"], cfg.flow, cfg.default_language)
    return state


def xml(r: VoiceResponse) -> Response:
    return _twiml(str(r))


def _twiml(text: str) -> Response:
    return Response(text, mimetype="text/xml")


def caller_safe(view: Callable[..., Response]) -> Callable[..., Response]:
    """Any failure still gives the caller TwiML that apologises and records their message."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        try:
            return view(*args, **kwargs)
        except Exception:
            log.exception("voice webhook %s failed; taking a message instead", request.path)
            return _apology()

    return wrapper


def _apology() -> Response:
    """Apologise and take a message, carrying the caller's number to whoever files it."""
    cfg = _cfg()
    try:
        texts = {lang: _flow().text("apology", lang) for lang in cfg.languages}
    except Exception:  # noqa: BLE001 - the flow itself may be what broke
        texts = FALLBACK_TEXTS
    caller = caller_number()
    return xml(twiml.apology(cfg.public_url, texts, cfg.voices, cfg.record_max_seconds, caller))


Render = Callable[[], Response]


def call_bound(view: Callable[..., Render]) -> Callable[..., Response]:
    """A mid-flow webhook runs in one unit of work (`webhook_unit`) that first checks its CallSid
    fits the signed URL (see call_check). One that does not changes nothing: it is audited and the
    caller gets the apology, which still takes their message. The view gets the unit and the
    caller's state and returns how to render its answer, which happens once the unit committed."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        form, state = request.form, _state()
        with about(state.incident, call_sid=form.get("CallSid")), unit() as u:
            # a recording's action may come after the status callback; an admin's prompt take may not
            after_end = request.path == "/voice/recorded" and request.args.get("r", "report") != "prompt"
            reason = call_check.mismatch(u.s, _cfg(), state, form.get("CallSid", ""), after_end)
            if reason is None:
                render = view(u, state, *args, **kwargs)
            else:
                log.warning("webhook %s for call %s refused: %s", request.path, form.get("CallSid"), reason)
                audit.record_now(u.s, "webhook_call_mismatch", None, actor=form.get("From") or "anonymous",
                             call_sid=form.get("CallSid", "")[:64], path=request.path, reason=reason,
                             url_incident=state.incident, flow=state.flow)
                render = _apology
        return render()

    return wrapper


def _audio_for(u: Utterance) -> str | None:
    cfg = _cfg()
    if u.prompt and published_prompt(cfg.recordings_dir, u.prompt, u.lang):
        return twiml.url(cfg.public_url, f"/prompts/{u.prompt}/{u.lang}.wav")
    return None


def _respond(u: Unit, state: CallState, notice: tuple[Utterance, ...] = ()) -> Render:
    """The node the caller is at, read now (in the unit); nodes named "" mean the start of their
    flow. Rendered as TwiML when called, after the unit has committed."""
    flow = _flow(state.flow)
    if state.node not in flow.nodes:
        state = replace(state, node=flow.start)
    screen = flow_engine.screen(flow, state, context(flow, state, u.s))
    return lambda: _twiml(twiml.render(screen, _cfg().public_url, _audio_for, notice, voices=_cfg().voices))


@bp.post("/incoming")
@twilio_webhook
@caller_safe
def incoming() -> Response:
    form, cfg = request.form, _cfg()
    caller = caller_number()
    role = caller_role(cfg, caller, set(current_app.config["FLOWS"]))
    verified = network_verified(cfg, form.get("StirVerstat"))
    state = CallState("", cfg.default_language, flow=role.flow)
    if verified and role.flow == cfg.flow:  # trusted attestation: may be a running drill's test call
        state = state.with_data(drill="1")
    if role.who:
        state = state.with_data(who=role.who, op=role.who if role.flow == "operator" else "")
        if verified:  # carrier attestation A, and config.toml trusts it: counts as the PIN
            state = state.with_data(auth=role.flow)
    with unit() as u:
        if role.flow == cfg.flow:
            incidents.ensure_call(u.s, form["CallSid"], form.get("From"), form.get("To"),
                                  form.get("Direction", "inbound"))
        else:
            incidents.mark_call(u.s, form["CallSid"], form.get("From"), form.get("To"), role.flow)
            audit.record_now(u.s, "caller_recognised", None, actor=caller or "anonymous", role=role.flow, who=role.who,
                         verified=verified)
        render = _respond(u, state)
    return render()


@bp.post("/step")
@twilio_webhook
@caller_safe
@call_bound
def step(u: Unit, state: CallState) -> Render:
    flow = _flow(state.flow)
    outcome = flow_engine.press(flow, state, request.form.get("Digits", ""), context(flow, state, u.s))
    state, notice = caller_actions.apply(u, flow, outcome)
    joined = caller_actions.bridge_twiml(u, state)  # a crisis team member chose the bridge
    if joined is not None:
        return lambda: xml(joined)
    return _respond(u, state, notice)


@bp.post("/dial-done")
@twilio_webhook
@caller_safe
@call_bound
def dial_done(u: Unit, state: CallState) -> Render:
    flow = _flow(state.flow)
    outcome = flow_engine.dial_finished(flow, state, request.form.get("DialCallStatus", "failed"))
    audit.record_now(u.s, "lifeline_forward_ended", state.incident, status=request.form.get("DialCallStatus"),
                 call_sid=request.form.get("CallSid"))
    if outcome.fields.get("hangup"):
        screen = flow_engine.Screen("hangup", (), outcome.state)
        return lambda: _twiml(twiml.render(screen, _cfg().public_url, _audio_for, outcome.notice,
                                           voices=_cfg().voices))
    return _respond(u, outcome.state, outcome.notice)


@bp.post("/recorded")
@twilio_webhook
@caller_safe
@call_bound
def recorded(u: Unit, state: CallState) -> Render:
    form = request.form
    purpose = request.args.get("r", "report")
    notice: tuple[Utterance, ...] = ()
    if purpose == "prompt":
        state, notice = prompt_recorded(u.s, _flow(state.flow), state)
    elif form.get("RecordingSid"):
        out = commands.recording_arrived(u.s, incident_id=state.incident, sid=form["RecordingSid"],
                                         url=form.get("RecordingUrl"), duration=_float(form.get("RecordingDuration")),
                                         kind=purpose, fetch=False)
        u.queue(out.then)
        if purpose == "update":
            audit.record_now(u.s, "voice_update", state.incident, actor=state.get("op") or state.get("who") or "phone",
                         sid=form["RecordingSid"])
    if form.get("Digits") == "hangup":
        return lambda: xml(VoiceResponse())  # the caller is gone; Twilio ignores this TwiML
    return _respond(u, state, notice)


@bp.post("/recording-status")
@twilio_webhook
@caller_safe
@keeps_caller
def recording_status() -> Response:
    """Recording finished (or failed): note it, ask for the audio, and make paging due now; the queued
    jobs only make that sooner (the convergence cycle finds whatever they miss)."""
    form, args = request.form, request.args
    status = form.get("RecordingStatus", "")
    purpose = args.get("r", "report")
    if purpose == "prompt":
        return Response("", status=204)  # stored by the admin flow itself
    incident_id = int(args["i"]) if args.get("i", "").isdigit() else None
    with unit() as u:
        # The incident in the signed URL must be this call's (or a role call's choice), as on every
        # mid-flow route: call B's CallSid on call A's URL attaches nothing and pages nobody.
        reason = None if incident_id is None else call_check.mismatch(u.s, _cfg(), _state(), form.get("CallSid", ""),
                                                                      after_end=True)
        if reason is not None:
            log.warning("recording callback for call %s refused: %s", form.get("CallSid"), reason)
            audit.record_now(u.s, "webhook_call_mismatch", None, actor=form.get("From") or "anonymous",
                             call_sid=form.get("CallSid", "")[:64], path=request.path, reason=reason,
                             url_incident=incident_id, recording_sid=form.get("RecordingSid", "")[:64])
            return Response("", status=204)
        if incident_id is None:
            incident_id, reported = _incident_for_unflowed_call(u.s, form.get("CallSid", ""),
                                                                args.get("src", "unknown"))
            u.queue(reported)
        if status == "completed" and form.get("RecordingSid"):
            out = commands.recording_arrived(u.s, incident_id=incident_id, sid=form["RecordingSid"],
                                             url=form.get("RecordingUrl"),
                                             duration=_float(form.get("RecordingDuration")), kind=purpose)
            u.queue(out.then)
        else:
            audit.record_now(u.s, "recording_missing", incident_id, status=status, error=form.get("ErrorCode"))
            if incident_id is not None:
                u.queue(commands.caller_done(u.s, incident_id).then)
    return Response("", status=204)


@bp.post("/status")
@twilio_webhook
def call_status() -> Response:
    form = request.form
    with unit() as u:
        u.queue(commands.call_ended(u.s, form["CallSid"], form.get("CallStatus", ""), form.get("CallDuration"),
                                    form.get("From"), form.get("To")).then)
    return Response("", status=204)


@bp.post("/fallback")
@twilio_webhook
def fallback() -> Response:
    """Twilio's VoiceFallbackUrl (and the callback-number answer of the apology): needs no
    database, no Redis, no flow file. A withheld caller ID is asked for a callback number first."""
    cfg, form, args = _cfg(), request.form, request.args
    caller = to_e164(form.get("From"), cfg.default_region)
    asked = args.get("asked") == "1"
    callback = to_e164(form.get("Digits"), cfg.default_region) if asked else None
    r = take_message(VoiceResponse(), cfg.public_url, args.get("src", "fallback"), cfg.record_max_seconds,
                     caller, callback, ask_callback=caller is None and not asked, voices=cfg.voices)
    return xml(r)


@bp.post("/safe-recorded")
@bp.post("/fallback-recorded")
@twilio_webhook
def message_taken() -> Response:
    """After the apology or fallback recording: file it with the caller's number and thank the
    caller with its reference when the database answers (the status callback attaches the audio)."""
    form, cfg = request.form, _cfg()
    ref = file_message(cfg, form.get("CallSid", ""), form.get("From"), form.get("To"), request.args.get("cb"))
    return xml(thanks(ref, cfg.voices))


def _incident_for_unflowed_call(s: Any, call_sid: str, source: str) -> tuple[int | None, tuple[Followup, ...]]:
    """A message taken by the apology or fallback path still becomes an incident; with what its
    report asks for afterwards (a running drill's calls to end), for the caller to queue."""
    inc = incidents.incident_for_call(s, call_sid)
    if inc is not None:
        return inc.id, ()
    if not call_sid:
        return None, ()
    call = incidents.register_call(s, call_sid, None, None)
    cfg = _cfg()
    out = commands.report(s, call_sid=call_sid, type_key="unclassified", lang=cfg.default_language,
                          caller=call.from_number, actor=Actor(call.from_number or "anonymous", Channel.CALLER),
                          record_max_seconds=cfg.record_max_seconds,
                          source="fallback" if source in ("safe", "fallback") else source)
    return out.incident_ids[0], out.then


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None
