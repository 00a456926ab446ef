"""What the flow engine needs to know about the world for one caller, read at the edge."""

from __future__ import annotations

import functools
import logging
from dataclasses import replace

import requests
from flask import current_app, request
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from hotline.base import audit, prompt_store
from hotline.base.config import Config
from hotline.base.models import Incident, IncidentStatus
from hotline.base.phone import to_e164
from hotline.ivr import twiml
from hotline.ivr.flow import Flow
from hotline.ivr.flow_engine import CallState, Context, IncidentBrief, Utterance, say
from hotline.provider import media as twilio_media
from hotline.web.keys import take_query

log = logging.getLogger("hotline.voice")
REF_OF = select(Incident.__table__.c.ref).where(Incident.__table__.c.id == bindparam("id"))
OPEN = (IncidentStatus.NEW, IncidentStatus.RECORDED, IncidentStatus.PAGING, IncidentStatus.UNACKNOWLEDGED)
MAX_READ_OUT = 9


def _cfg() -> Config:
    return current_app.config["HOTLINE"]


def caller_number() -> str | None:
    """The caller's number in E.164, None when withheld or invalid. Every webhook of a call asks,
    and parsing a number is a good part of a webhook's cost, so each number is parsed once."""
    return _e164(request.form.get("From"), _cfg().default_region)


@functools.lru_cache(maxsize=4096)
def _e164(raw: str | None, region: str) -> str | None:
    return to_e164(raw, region)


def context(flow: Flow, state: CallState, s: Session) -> Context:
    """Read only what the caller's node needs, in the webhook's own session (`webhook_unit`)."""
    cfg = _cfg()
    node = flow.nodes.get(state.node) or flow.nodes[flow.start]
    names = {k: t.name(state.lang) for k, t in cfg.incident_types.items()}
    ref = None
    if state.incident is not None and node.kind == "closing":
        ref = s.connection().scalar(REF_OF, {"id": state.incident})
    return Context(
        org=cfg.org_name, type_names=names,
        caller_known=caller_number() is not None, ref=ref,
        lifeline=cfg.lifeline_number, record_max=cfg.record_max_seconds, region=cfg.default_region,
        type_codes=current_app.config["TYPE_CODES"], sites=cfg.sites,
        open_incidents=_open_incidents(s, names) if node.kind == "incidents" else (),
        open_count=_open_count(s) if node.kind == "incidents" else 0,
        find_incident=lambda r: _find(s, r, names),
        review_audio=_review_audio(state) if node.kind == "review" else None,
    )


def type_codes(flows: dict[str, Flow], main: str) -> dict[str, str]:
    """Operators enter the same type keys callers press: read them from the caller's menu."""
    flow = flows[main]
    return {o.key: o.type for o in flow.nodes[flow.start].options if o.type}


def _brief(inc: Incident, names: dict[str, str]) -> IncidentBrief:
    return IncidentBrief(inc.id, inc.ref or "", names.get(inc.type_key, inc.type_key), inc.status)


def _open_incidents(s: Session, names: dict[str, str]) -> tuple[IncidentBrief, ...]:
    """The newest MAX_READ_OUT open incidents: the ones a caller on the phone can step through."""
    rows = s.scalars(select(Incident).where(Incident.status.in_(OPEN), Incident.drill.is_(False))
                     .order_by(Incident.id.desc()).limit(MAX_READ_OUT))
    return tuple(_brief(i, names) for i in rows)


def _open_count(s: Session) -> int:
    """All of them: "433 open", not the nine read out."""
    return int(s.scalar(select(func.count()).select_from(Incident).where(Incident.status.in_(OPEN),
                                                                        Incident.drill.is_(False))) or 0)


def _find(s: Session, ref: str, names: dict[str, str]) -> IncidentBrief | None:
    inc = s.scalar(select(Incident).where(Incident.ref == ref))
    return _brief(inc, names) if inc else None


def _review_audio(state: CallState) -> str | None:
    name, lang, version = state.get("prompt"), state.get("prompt_lang"), state.get("version")
    if not (name and lang and version):
        return None
    cfg = _cfg()  # signed: an unpublished take is not public (hotline.web.keys.take_query)
    return twiml.url(cfg.public_url, f"/prompts/{name}/{lang}/v{int(version)}.wav",
                     take_query(cfg, str(name), str(lang), int(version)))


def prompt_recorded(s: Session, flow: Flow, state: CallState) -> tuple[CallState, tuple[Utterance, ...]]:
    """An admin's recording: fetched now (the admin waits to hear it back), stored as a new version."""
    cfg, form = _cfg(), request.form
    name, lang = state.get("prompt"), state.get("prompt_lang")
    try:
        if not (name and lang and form.get("RecordingUrl")):
            raise prompt_store.PromptError("no prompt chosen or no recording")
        resp = twilio_media.fetch(cfg, form["RecordingUrl"], timeout=15)
        resp.raise_for_status()
        version = prompt_store.add_version(cfg.recordings_dir, name, lang, resp.content)
    except (requests.RequestException, prompt_store.PromptError, twilio_media.ForeignMediaUrl) as exc:
        log.warning("admin prompt recording failed: %s", exc)
        if isinstance(exc, twilio_media.ForeignMediaUrl):
            audit.record_now(s, "recording_url_refused", None, actor=state.get("who") or "admin",
                         url=form.get("RecordingUrl", "")[:200], reason=str(exc), via="prompt")
        return replace(CallState("", state.lang, flow=state.flow, data=state.data)), (
            say(flow, "admin_failed", state.lang),)
    audit.record_now(s, "prompt_recorded", None, actor=state.get("who") or "admin", prompt=name, lang=lang,
                 version=version, via="phone")
    return state.with_data(version=str(version)), ()
