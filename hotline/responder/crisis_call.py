"""Twilio webhooks for a crisis team member's notification call, and the crisis bridge's callbacks.

What the member hears (in their language):
    "This is the Example Org crisis hotline. A cyber-security crisis was activated, reference
     A1B2. You are the legal lead. Press 1 to confirm. Press 2 to join the crisis bridge.
     Press 9 to repeat."
1 confirms (through the lifecycle), 2 confirms and joins the bridge: a `<Dial><Conference>`
named after the crisis, whose join/leave callbacks (`/voice/crisis/bridge-status`) tell the
console who is on it. Every route is signed; a failure still answers TwiML (`responder_safe`). A
keypress counts only from the member's latest call (`last_call_sid`): a replayed or misdirected
one confirms nobody.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, request
from twilio.twiml.voice_response import VoiceResponse

from hotline.base import audit
from hotline.base.config import Config
from hotline.base.jobs import run
from hotline.base.lifecycle import Actor, Channel
from hotline.base.models import Incident
from hotline.base.runtime import get_runtime
from hotline.base.security import twilio_webhook
from hotline.crisis import bridge, commands, links, phrases
from hotline.crisis.models import Crisis, CrisisMember, CrisisState
from hotline.crisis.phrases import CALL_KEYS, Key
from hotline.responder.webhooks import responder_safe

log = logging.getLogger("hotline.crisis_call")
bp = Blueprint("crisis_call", __name__)
GATHER_SECONDS = 6
REPEATS = 2


def _cfg() -> Config:
    return current_app.config["HOTLINE"]


def _xml(r: VoiceResponse) -> Response:
    return Response(str(r), mimetype="text/xml")


def _int(name: str) -> int:
    value = request.args.get(name, "")
    if not value.isdigit():
        raise ValueError(f"crisis webhook without {name}: {request.full_path}")
    return int(value)


def _menu(r: VoiceResponse, cfg: Config, member_id: int, lines: list[str], lang: str, tries: int) -> VoiceResponse:
    g = r.gather(action=links.member_hook(cfg, "menu", member_id, t=tries), method="POST", num_digits=1,
                 timeout=GATHER_SECONDS, action_on_empty_result=True)
    for line in [*lines, phrases.menu(lang)]:
        g.say(line, **cfg.voices.say(lang))
    return r


def _briefing(cfg: Config, member: CrisisMember, crisis: Crisis, incident: Incident, lang: str) -> str:
    return phrases.for_drill(lang, incident.drill, phrases.text(
        lang, "call", org=cfg.org_name, type=cfg.type_name(crisis.type_key, lang),
        ref=" ".join(incident.ref or str(incident.id)), role=phrases.role_name(lang, member.role),
        deputy=phrases.text(lang, "deputy") if member.is_deputy else ""))


def _load(member_id: int) -> tuple[CrisisMember, Crisis, Incident, str] | None:
    cfg = _cfg()
    with get_runtime().db.session() as s:
        member = s.get(CrisisMember, member_id)
        if member is None:
            return None
        crisis = member.crisis
        incident = s.get_one(Incident, crisis.incident_id)  # a crisis names its incident (foreign key)
        person = cfg.people.get(member.person_key)
        lang = phrases.language(person.languages if person else (), cfg.languages)
        return member, crisis, incident, lang


@bp.post("/voice/crisis/answer")
@twilio_webhook
@responder_safe
def answer() -> Response:
    cfg, member_id = _cfg(), _int("m")
    loaded = _load(member_id)
    r = VoiceResponse()
    if loaded is None or loaded[1].state != CrisisState.ACTIVE:
        lang = cfg.default_language if cfg.default_language in phrases.LANGUAGES else phrases.LANGUAGES[0]
        r.say(phrases.text(lang, "over"), **cfg.voices.say(lang))
        r.hangup()
        return _xml(r)
    member, crisis, incident, lang = loaded
    return _xml(_menu(r, cfg, member_id, [_briefing(cfg, member, crisis, incident, lang)], lang, 0))


@bp.post("/voice/crisis/menu")
@twilio_webhook
@responder_safe
def menu() -> Response:
    cfg, member_id, tries = _cfg(), _int("m"), int(request.args.get("t", "0") or 0)
    loaded = _load(member_id)
    r = VoiceResponse()
    if loaded is None:
        return answer()
    member, crisis, incident, lang = loaded
    sid = request.form.get("CallSid", "")
    if member.last_call_sid and sid != member.last_call_sid:
        # A keypress from another call than the member's latest (a captured request replayed, or
        # a forged URL naming another seat): it confirms nobody (issue #24, finding 6).
        log.warning("crisis call webhook for member %s refused: CallSid %s is not its call", member_id, sid)
        with get_runtime().db.session() as s:
            audit.record(s, "webhook_call_mismatch", crisis.incident_id,
                         actor=request.form.get("From") or "anonymous", call_sid=sid[:64], path=request.path,
                         reason="the CallSid is not the member's call", member_id=member_id)
        r.say(phrases.text(lang, "over"), **cfg.voices.say(lang))
        r.hangup()
        return _xml(r)
    action = CALL_KEYS.get(request.form.get("Digits", "")[:1])
    actor = Actor(member.person_key, Channel.RESPONDER)
    if action in (Key.CONFIRM, Key.BRIDGE):
        run(commands.member_confirmed, member_id, actor)
    if action == Key.BRIDGE:
        return _xml(bridge.join(r, cfg, crisis.id, member.person_key, lang))
    if action == Key.CONFIRM:
        return _xml(_menu(r, cfg, member_id, [phrases.text(lang, "confirmed")], lang, REPEATS))
    if action == Key.REPEAT or tries < REPEATS:
        return _xml(_menu(r, cfg, member_id, [_briefing(cfg, member, crisis, incident, lang)], lang, tries + 1))
    r.say(phrases.text(lang, "no_choice" if member.confirmed_at is None else "goodbye"), **cfg.voices.say(lang))
    r.hangup()
    return _xml(r)


@bp.post("/voice/crisis/status")
@twilio_webhook
def status() -> Response:
    """Call progress of a notification call: nothing to decide (an unconfirmed member stays due
    and is called again by the cycle), so it is only logged."""
    log.info("crisis call %s for member %s: %s", request.form.get("CallSid"), request.args.get("m"),
             request.form.get("CallStatus"))
    return Response("", status=204)


@bp.post("/voice/crisis/bridge-status")
@twilio_webhook
def bridge_status() -> Response:
    """Conference callbacks: who joined or left the bridge. Errors are logged, never raised."""
    try:
        run(commands.bridge_event, _int("c"), request.form.get("CallSid", ""),
            request.form.get("StatusCallbackEvent", ""), request.args.get("p") or None)
    except Exception:
        log.exception("crisis bridge callback %s failed", request.full_path)
    return Response("", status=204)
