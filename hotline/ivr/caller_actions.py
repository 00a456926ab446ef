"""What a caller's keypress does to the world: the effects the flow engine asks for.

The engine decides (pure); these functions apply: classify, set fields, check a PIN, accept,
resolve, publish a prompt. Each returns what the caller should hear about it. All of them write in
the webhook's one unit of work (`webhook_unit`), which queues their follow-ups once it commits.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from flask import current_app, request
from twilio.twiml.voice_response import VoiceResponse

from hotline.base import audit, pins, prompt_store
from hotline.base.config import Config
from hotline.base.lifecycle import Actor, Channel
from hotline.base.runtime import Runtime, get_runtime
from hotline.crisis import bridge
from hotline.crisis import commands as crisis
from hotline.crisis import phrases as crisis_phrases
from hotline.crisis.models import CrisisMember
from hotline.ivr.flow import Flow
from hotline.ivr.flow_engine import (
    AUTH,
    RESUME,
    CallState,
    Outcome,
    Utterance,
    after_pin,
    press,
    resume_point,
    say,
    verifies_for,
)
from hotline.ivr.roles import person_for
from hotline.ivr.voice_context import caller_number, context
from hotline.ivr.webhook_unit import Unit
from hotline.paging import commands, incidents
from hotline.paging.callout.links import recording_url
from hotline.paging.report_view import report_view

log = logging.getLogger("hotline.caller_actions")


def _cfg() -> Config:
    return current_app.config["HOTLINE"]


def apply(u: Unit, flow: Flow, outcome: Outcome) -> tuple[CallState, tuple[Utterance, ...]]:
    """Write what the caller's choice means; return where they go and anything more to say."""
    state, notice = outcome.state, outcome.notice
    if outcome.pin is not None:
        return check_pin(u, flow, state, outcome.pin)
    form, cfg = request.form, _cfg()
    if outcome.classify:
        caller = caller_number()
        op = state.get("op") if state.get(AUTH) else None  # a relay is the operator's only after the PIN
        out = commands.report(u.s, call_sid=form["CallSid"], type_key=outcome.classify, lang=state.lang,
                              caller=caller, actor=_actor(state, caller), record_max_seconds=cfg.record_max_seconds,
                              source="operator" if op else None, relayed_by=op or None,
                              test_call_proved=state.get("drill") == "1")
        state = replace(state, incident=out.incident_ids[0])
        u.queue(out.then)  # a running drill's calls end (a real report takes precedence)
    if outcome.fields and state.incident is not None:
        commands.set_details(u.s, state.incident, outcome.fields, _actor(state, None))
    if outcome.action == "bridge":
        state, more = _bridge(u, flow, state)
        notice += more
    elif outcome.action in ACTIONS:
        notice += ACTIONS[outcome.action](u, flow, state)
    if state.flow == flow.name and getattr(flow.nodes.get(state.node), "kind", "") == "dial":
        _forwarding(u, state)
    return state, notice


def _forwarding(u: Unit, state: CallState) -> None:
    """A forward to the lifeline is an outcome, not an abandoned call."""
    form = request.form
    incidents.mark_call(u.s, form["CallSid"], form.get("From"), form.get("To"), "lifeline")
    audit.record_now(u.s, "lifeline_forward", state.incident, actor=form.get("From") or "anonymous")


def check_pin(u: Unit, flow: Flow, state: CallState, pin: str) -> tuple[CallState, tuple[Utterance, ...]]:
    """Never logged, never read back. Guessing is throttled (pins.PIN_SOURCE per caller ID,
    pins.PIN_TARGET per PIN guessed at), never locked for everyone: a try is reserved before the
    PIN is checked, so concurrent guesses cannot pass the limits. A PIN asked for before a
    protected action proves the caller's identity for the rest of the call (`auth` in the signed
    state), then that action runs."""
    cfg, rt = _cfg(), get_runtime()
    caller = caller_number()
    book = pins.load_pins(cfg.data_dir, cfg.pin_hashes)
    in_callers_menu = state.flow == cfg.flow and not state.get(RESUME)
    target, locked = _throttled_match(u, rt, book, pin, person_for(cfg, caller), caller, in_callers_menu)
    if target == pins.DRILL:  # a full-scale drill's test caller: their report may be the drill's
        audit.record_now(u.s, "pin_accepted", None, actor=caller or "anonymous", role=pins.DRILL, throttled=False)
        back = CallState(flow.start, state.lang, flow=flow.name, fresh=False, data=state.without(RESUME).data)
        return back.with_data(drill="1"), (say(flow, "drill_call_ready", state.lang),)
    role = pins.role_of(target) if target else None
    if role and role in current_app.config["FLOWS"] and verifies_for(state, role):
        if len(pin) < pins.MIN_DIGITS:  # accepted (an existing PIN), reported each time it is used
            log.warning("a %s-digit PIN opened the %s menu: set a PIN of %s to %s digits with "
                        "`python3 run.py pins set`", len(pin), role, pins.MIN_DIGITS, pins.MAX_DIGITS)
            audit.record_now(u.s, "pin_too_short", None, actor=caller or "anonymous", role=role)
        if not state.get(RESUME):
            op = (caller or "pin") if role == "operator" else ""
            state = state.with_data(who=person_for(cfg, caller) or role, op=op)
        state = state.with_data(auth=role)
    else:
        role = None
    audit.record_now(u.s, "pin_accepted" if role else "pin_rejected", None, actor=caller or "anonymous", role=role,
                     throttled=locked)  # throttled: refused unchecked (its caller ID or every PIN delayed)
    if role:  # an operator or admin who hangs up without a report is not an abandoned caller
        form = request.form
        incidents.mark_call(u.s, form["CallSid"], form.get("From"), form.get("To"), role)
    if role and state.get(RESUME):
        back, key = resume_point(state)
        return apply(u, flow, press(flow, back, key, context(flow, back, u.s)))
    out = after_pin(flow, state, role, locked)
    return out.state, out.notice


def _throttled_match(u: Unit, rt: Runtime, book: dict[str, str], pin: str, person: str | None,
                     caller: str | None, drill: bool = False) -> tuple[str | None, bool]:
    """Which PIN this is (a `pins.targets` name), checked only where the throttles allow; and
    whether the caller was refused without any check (their caller ID, or every PIN, delayed).

    The caller ID's try is reserved first; then one for each PIN it is checked against, except a
    PIN this caller ID has entered right before (the rightful user is not kept out by strangers'
    guesses at their PIN; a spoofer of their number meets the caller ID's own throttle)."""
    source = pins.PIN_SOURCE.attempt(rt.redis, caller)
    if not source.allowed:
        return None, True
    among: list[str] = []
    reserved: list[str] = []
    delayed: list[str] = []
    started = ["caller"] if pins.PIN_SOURCE.starts_delay(source) else []
    for target in pins.targets(book, person, drill):
        if pins.known_source(rt.redis, target, caller):
            among.append(target)
            continue
        t = pins.PIN_TARGET.attempt(rt.redis, target)
        if t.allowed:
            among.append(target)
            reserved.append(target)
            if pins.PIN_TARGET.starts_delay(t):
                started.append(f"pin:{target}")
        else:
            delayed.append(target)
    matched = pins.match_pin(book, pin, person, among) if among else None
    if matched:
        pins.PIN_SOURCE.succeeded(rt.redis, caller)
        for target in reserved:  # a right PIN is no guess at any of them
            pins.PIN_TARGET.refund(rt.redis, target)
        pins.remember_source(rt.redis, matched, caller)
    elif started:  # someone is guessing: the timeline and the console's health page say so
        log.warning("PIN guessing: %s now delayed (caller ID %s)", ", ".join(started), caller or "withheld")
        audit.record_now(u.s, "pin_guessing", None, actor=caller or "anonymous", by=started,
                         call_sid=request.form.get("CallSid"))
    return matched, bool(delayed) and not among


def _actor(state: CallState, caller: str | None) -> Actor:
    """Who is acting on this call: the operator or staff member once the call proved it (PIN or
    trusted carrier attestation: caller ID alone names nobody), else the caller."""
    if not state.get(AUTH):
        return Actor(caller or "anonymous", Channel.CALLER)
    if state.get("op"):
        return Actor(state.get("op") or "operator", Channel.OPERATOR)
    if state.get("who"):
        return Actor(state.get("who") or "staff", Channel.DIAL_IN)
    return Actor(caller or "anonymous", Channel.CALLER)


def _resolve(u: Unit, flow: Flow, state: CallState) -> tuple[Utterance, ...]:
    """Closes this incident only: a storm's other incidents are still paged."""
    if state.incident is None:
        return ()
    u.queue(commands.resolve(u.s, state.incident, _actor(state, None), "resolved by phone").then)
    return (say(flow, "op_resolved", state.lang),)


def _accept(u: Unit, flow: Flow, state: CallState) -> tuple[Utterance, ...]:
    """The same atomic accept every channel uses: one acceptor, the other calls are ended."""
    person = state.get("who")
    if state.incident is None or not person:
        return ()
    people = _cfg().people
    name = people[person].name if person in people else person
    result = commands.accept(u.s, person=person, name=name, incident_id=state.incident, actor=_actor(state, None))
    u.queue(result.then)
    view = report_view(u.s, state.incident)
    ref, callback = (view.ref, view.callback_number or "") if view else ("", "")
    if result.ok:
        return (say(flow, "accepted_by_you", state.lang, ref=" ".join(ref), number=" ".join(callback.lstrip("+"))),)
    return (say(flow, "already_accepted", state.lang, name=result.accepted_by_name or ""),)


def _hear(u: Unit, flow: Flow, state: CallState) -> tuple[Utterance, ...]:
    if state.incident is None:
        return ()
    view = report_view(u.s, state.incident)
    out: list[Utterance] = []
    if view and view.transcript:
        out.append(Utterance(view.transcript, state.lang))
    playable = [r for r in view.recordings if r.playable] if view else []
    if playable:
        out.append(Utterance("", state.lang, audio=recording_url(_cfg(), playable[-1].id)))
    return tuple(out) or (say(flow, "nothing_to_hear", state.lang),)


def _bridge(u: Unit, flow: Flow, state: CallState) -> tuple[CallState, tuple[Utterance, ...]]:
    """A crisis team member (PIN proved) joins their newest active crisis's bridge: the call is
    marked for the webhook to answer with the conference; joining counts as confirming."""
    person = state.get("who")
    member_id = crisis.member_to_bridge(u.s, person) if person else None
    if member_id is None:
        return state, (say(flow, "no_bridge", state.lang),)
    out = crisis.member_confirmed(u.s, member_id, _actor(state, None))
    u.queue(out.then)
    return state.with_data(bridge=str(member_id)), () if out.ok else (say(flow, "no_bridge", state.lang),)


def bridge_twiml(u: Unit, state: CallState) -> VoiceResponse | None:
    """The conference for a call that `_bridge` marked, or None for every other call."""
    member_id = state.get("bridge")
    if not member_id:
        return None
    member = u.s.get(CrisisMember, int(member_id))
    if member is None:
        return None
    cfg = _cfg()
    return bridge.join(VoiceResponse(), cfg, member.crisis_id, member.person_key,
                       crisis_phrases.language([state.lang], cfg.languages))


def _publish(u: Unit, flow: Flow, state: CallState) -> tuple[Utterance, ...]:
    name, lang, version = state.get("prompt"), state.get("prompt_lang"), state.get("version")
    if not (name and lang and version and version.isdigit()):
        return (say(flow, "admin_failed", state.lang),)
    prompt_store.publish(_cfg().recordings_dir, name, lang, int(version))
    audit.record_now(u.s, "prompt_published", None, actor=state.get("who") or "admin", prompt=name, lang=lang,
                 version=int(version), via="phone")
    return (say(flow, "admin_published", state.lang),)


def _darksite(u: Unit, flow: Flow, state: CallState) -> tuple[Utterance, ...]:
    """The admin menu's dark-site key: the newest active crisis's dark site is set on or off, as
    the admin chose (a set, not a toggle: a replayed keypress leaves it as it is)."""
    wanted = state.get("darksite")
    if wanted not in ("on", "off"):
        return (say(flow, "admin_failed", state.lang),)
    newest = crisis.newest_active(u.s)
    if newest is None:
        return (say(flow, "admin_no_crisis", state.lang),)
    out = crisis.set_dark_site(u.s, newest.id, wanted == "on", Actor(state.get("who") or "admin", Channel.DIAL_IN))
    u.queue(out.then)
    return (say(flow, "admin_darksite_on" if wanted == "on" else "admin_darksite_off", state.lang),)


ACTIONS = {"resolve": _resolve, "accept": _accept, "hear": _hear, "publish": _publish, "darksite": _darksite}
