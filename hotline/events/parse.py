"""Request bodies into `Event`s: the PagerDuty Events API v2 shape and Alertmanager's webhook.

Pure functions: a body in, events and a list of errors out (every error at once, worded like the
Events API's own "invalid event" answers), so a tool's author sees everything wrong in one go.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import uuid
from collections.abc import Mapping
from typing import Any, cast

from hotline.events.rules import SEVERITIES, Event

ACTIONS = ("trigger", "acknowledge", "resolve")
MAX_SUMMARY = 1024
MAX_DEDUP = 255
ALERTS_KEPT = 20  # alerts of a group copied into custom_details (the rest are counted)
MAX_DEPTH = 32  # nesting of objects and arrays in a body: a real event needs a handful
# What no database column, JSON column or XML feed can carry: C0 controls but tab, newline and
# carriage return; DEL and C1 controls; noncharacters U+FFFE/U+FFFF. Lone surrogates apart.
_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


class TooDeep(ValueError):
    """A body nested deeper than MAX_DEPTH: refused before the JSON parser recurses into it."""


def load(body: bytes) -> Any:
    """The body as JSON with every string normalised (`clean`), or None when it is not JSON.
    Nesting is measured before parsing (a deep body made the parser's recursion a 500); raises
    TooDeep for one over MAX_DEPTH."""
    if depth(body) > MAX_DEPTH:
        raise TooDeep(f"the body is nested deeper than {MAX_DEPTH} levels")
    try:
        return clean(json.loads(body))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None


def depth(body: bytes) -> int:
    """The deepest nesting of [ and { outside strings, in one pass over the bytes."""
    deepest = level = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            level += 1
            deepest = max(deepest, level)
        elif byte in (0x5D, 0x7D):
            level -= 1
    return deepest


def clean(value: Any) -> Any:
    """Every string in a parsed body, keys included, made storable: a lone surrogate (valid JSON
    escapes, not encodable text) becomes U+FFFD, NUL and other control characters are dropped.
    Before anything is stored, so a valid event is never lost to a 500 from the database."""
    if isinstance(value, str):
        return _UNSTORABLE.sub("", _SURROGATE.sub("\ufffd", value))
    if isinstance(value, dict):
        return {clean(k): clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # 1e999 parses as inf, which PostgreSQL's JSON cannot hold
    return value


def events_v2(body: Any) -> tuple[Event | None, list[str]]:
    """One Events v2 body (routing_key already checked by the caller) as an Event, or the errors."""
    errors: list[str] = []
    if not isinstance(body, Mapping):
        return None, ["Event object must be a JSON object"]
    action = body.get("event_action")
    if action not in ACTIONS:
        errors.append(f"'event_action' is missing or invalid (must be one of {', '.join(ACTIONS)})")
    dedup = body.get("dedup_key")
    if dedup is not None and (not isinstance(dedup, str) or not dedup.strip() or len(dedup) > MAX_DEDUP):
        errors.append(f"'dedup_key' must be a non-empty string of at most {MAX_DEDUP} characters")
    if action in ("acknowledge", "resolve") and not dedup:
        errors.append(f"'dedup_key' is required for event_action {action}")
    payload = body.get("payload")
    fields: dict[str, Any] = {}
    if action == "trigger":
        if not isinstance(payload, Mapping):
            errors.append("'payload' is missing or not an object")
        else:
            fields = _payload(payload, errors)
    if errors:
        return None, errors
    key = str(dedup).strip() if dedup else uuid.uuid4().hex
    return Event(action=str(action), dedup_key=key, **fields), []


def _payload(payload: Mapping[str, Any], errors: list[str]) -> dict[str, Any]:
    summary, source, severity = payload.get("summary"), payload.get("source"), payload.get("severity")
    if not isinstance(summary, str) or not summary.strip():
        errors.append("'payload.summary' is missing or blank")
    elif len(summary) > MAX_SUMMARY:
        errors.append(f"'payload.summary' is longer than {MAX_SUMMARY} characters")
    if not isinstance(source, str) or not source.strip():
        errors.append("'payload.source' is missing or blank")
    if severity not in SEVERITIES:
        errors.append(f"'payload.severity' is missing or invalid (must be one of {', '.join(SEVERITIES)})")
    details = payload.get("custom_details", {})
    if details is None:
        details = {}
    if not isinstance(details, Mapping):
        details = {"details": details}  # the Events API takes any JSON here; rules read objects
    extra = {k: str(payload.get(k, "") or "")[:255] for k in ("component", "group")}
    return {"summary": str(summary or ""), "source": str(source or ""), "severity": str(severity or ""),
            "custom_details": dict(details), "class_": str(payload.get("class", "") or "")[:255], **extra}


def alertmanager(body: Any) -> tuple[Event | None, list[str]]:
    """One Alertmanager notification (a group of alerts) as one event: the group is one incident.

    "firing" triggers (or repeats) it, "resolved" (every alert of the group resolved) resolves
    it; its dedup_key comes from the group key, which Alertmanager keeps for the group's life.
    """
    if not isinstance(body, Mapping):
        return None, ["the notification must be a JSON object"]
    errors = []
    status, group_key, alerts = body.get("status"), body.get("groupKey"), body.get("alerts")
    if status not in ("firing", "resolved"):
        errors.append("'status' must be firing or resolved")
    if not isinstance(group_key, str) or not group_key:
        errors.append("'groupKey' is missing")
    if not isinstance(alerts, list) or not all(isinstance(a, Mapping) for a in alerts):
        errors.append("'alerts' must be a list of objects")
    if errors:
        return None, errors
    alerts = cast("list[Mapping[str, Any]]", alerts)  # checked above: a list of objects
    labels = _strings(body.get("commonLabels"))
    notes = _strings(body.get("commonAnnotations"))
    firing = [a for a in alerts if a.get("status") == "firing"]
    first = (firing or alerts or [{}])[0]
    first_notes = _strings(first.get("annotations"))
    name = labels.get("alertname") or _strings(first.get("labels")).get("alertname") or "alert"
    summary = notes.get("summary") or first_notes.get("summary") or f"{name}: {len(firing)} alert(s) firing"
    severity = _severity([_strings(a.get("labels")).get("severity", "") for a in (firing or alerts)])
    source = labels.get("instance") or labels.get("job") or str(body.get("externalURL") or "alertmanager")
    kept = [{"status": a.get("status"), "labels": _strings(a.get("labels")),
             "annotations": _strings(a.get("annotations"))} for a in alerts[:ALERTS_KEPT]]
    details: dict[str, Any] = {**labels, **notes, "alerts_firing": len(firing),
                               "alerts_resolved": len(alerts) - len(firing), "alerts": kept}
    key = "alertmanager-" + hashlib.sha256(str(group_key).encode()).hexdigest()[:32]
    action = "trigger" if status == "firing" else "resolve"
    return Event(action=action, dedup_key=key, summary=summary[:MAX_SUMMARY], source=source[:255],
                 severity=severity, group=name[:255], custom_details=details), []


def _strings(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, Mapping) else {}


def _severity(found: list[str]) -> str:
    """The highest Events API severity among the alerts; a label outside that scale is critical,
    since nobody wrote how to read it and a missed page costs more than an extra one."""
    ranks = [SEVERITIES.index(s.lower()) if s.lower() in SEVERITIES else len(SEVERITIES) - 1 for s in found if s]
    return SEVERITIES[max(ranks)] if ranks else "critical"
