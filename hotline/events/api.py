"""The events API: monitoring tools start the same callout as a phone report.

    POST {public_url}/events/v2/enqueue    the PagerDuty Events API v2 body; the integration key
                                           is its `routing_key` (tools switch by changing only
                                           their base URL to {public_url}/events)
    POST {public_url}/events/alertmanager  Prometheus Alertmanager's webhook_configs body; the
                                           integration key as `Authorization: Bearer KEY`

Answers as the Events API does: 202 {"status": "success", "message": "Event processed",
"dedup_key"}; 400 {"status": "invalid event", "message", "errors": [...]}; and 401 (unknown,
revoked or unsigned), 413 (too large), 429 (rate limit). A refused request creates nothing and
is audited (one row per source and minute, with a count). Accepted events go through
`hotline.events.commands`, which decides nothing here but applies the type's rules.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from redis import Redis

from hotline.base import audit_rollup
from hotline.base.config import Config
from hotline.base.runtime import get_runtime
from hotline.events import commands as lifecycle
from hotline.events import integrations, parse
from hotline.events.auth import SIGNATURE_HEADER, Refusal, bearer, check_signature, over_limit
from hotline.events.rules import Event, decide
from hotline.events.settings import EventSettings

log = logging.getLogger("hotline.events")
bp = Blueprint("events", __name__, url_prefix="/events")
UNAUTHORIZED = "invalid integration key"


@bp.post("/v2/enqueue")
def enqueue() -> tuple[Response, int]:
    settings = _config().section(EventSettings)
    body = _body(settings)
    if isinstance(body, tuple):
        return body
    data = _json(body)
    if isinstance(data, tuple):
        return data
    key = data.get("routing_key") if isinstance(data, dict) else None
    if not isinstance(data, dict):
        return _invalid(["Malformed JSON: the body must be a JSON object"])
    if not isinstance(key, str) or not key:
        return _invalid(["'routing_key' is missing"])
    return _handle(key, body, settings, lambda: parse.events_v2(data))


@bp.post("/alertmanager")
def alertmanager() -> tuple[Response, int]:
    settings = _config().section(EventSettings)
    body = _body(settings)
    if isinstance(body, tuple):
        return body
    data = _json(body)
    if isinstance(data, tuple):
        return data
    return _handle(bearer(request.headers.get("Authorization", "")), body, settings,
                   lambda: parse.alertmanager(data))


def _handle(key: str, body: bytes, settings: EventSettings,
            parsed: Callable[[], tuple[Event | None, list[str]]]) -> tuple[Response, int]:
    cfg = _config()
    db = get_runtime().db
    with db.session() as s:
        integration = integrations.find(s, key)
    if integration is None:
        return _refuse(Refusal(401, UNAUTHORIZED, "event_unauthorized"), None)
    redis = _redis()
    if integration.hmac_secret:
        refusal = check_signature(integration.hmac_secret, request.headers.get(SIGNATURE_HEADER, ""), body,
                                  settings.signature_window_seconds, redis)
        if refusal is not None:
            return _refuse(refusal, integration.name)
    if over_limit(redis, integration.id, settings.rate_limit_per_minute):
        response, status = _refuse(Refusal(429, "rate limit exceeded", "event_rate_limited"), integration.name)
        response.headers["Retry-After"] = "60"
        return response, status
    event, errors = parsed()
    if event is None:
        _rollup("event_invalid", integration.name, errors=errors[:5])
        return _invalid(errors)
    if event.action == "trigger":
        decision = decide(event, settings.rules.get(integration.type_key), integration.type_key)
        lifecycle.apply(lifecycle.trigger, integration, event, decision, cfg)
    elif event.action == "acknowledge":
        lifecycle.apply(lifecycle.acknowledge, integration, event.dedup_key)
    else:
        lifecycle.apply(lifecycle.resolve, integration, event.dedup_key)
    return jsonify(status="success", message="Event processed", dedup_key=event.dedup_key), 202


def _body(settings: EventSettings) -> bytes | tuple[Response, int]:
    limit = settings.max_body_bytes
    if (request.content_length or 0) > limit:
        return _refuse(Refusal(413, f"request body larger than {limit} bytes", "event_too_large"), None)
    data = request.stream.read(limit + 1)
    if len(data) > limit:
        return _refuse(Refusal(413, f"request body larger than {limit} bytes", "event_too_large"), None)
    return data


def _json(body: bytes) -> Any:
    """The body parsed and normalised (parse.load), None when it is not JSON, or the 400 for a
    body nested too deep (checked before parsing: the parser's recursion used to be a 500)."""
    try:
        return parse.load(body)
    except parse.TooDeep as exc:
        _rollup("event_invalid", None, errors=[str(exc)])
        return _invalid([str(exc)])


def _invalid(errors: list[str]) -> tuple[Response, int]:
    return jsonify(status="invalid event", message="Event object is invalid", errors=errors), 400


def _refuse(refusal: Refusal, integration: str | None) -> tuple[Response, int]:
    log.warning("refused event: %s (%s) integration=%s remote=%s", refusal.status, refusal.message, integration,
                request.remote_addr)
    _rollup(refusal.audit_kind, integration, reason=refusal.message)
    return jsonify(status="error", message=refusal.message), refusal.status


def _rollup(kind: str, integration: str | None, **detail: Any) -> None:
    """Best effort, and bounded: a flood of bad requests must neither fail nor fill the database."""
    source = f"integration:{integration}" if integration else (request.remote_addr or "unknown")
    try:
        with get_runtime().db.session() as s:
            audit_rollup.count(s, kind, source, request.path[:200], **detail)
    except Exception:  # noqa: BLE001 - auditing must never turn a 4xx into a 500
        log.exception("could not audit a refused event")


def _redis() -> Redis | None:
    try:
        return get_runtime().redis
    except RuntimeError:
        return None


def _config() -> Config:
    return current_app.config["HOTLINE"]
