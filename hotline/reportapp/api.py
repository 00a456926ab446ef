"""The reporting app's doors, without a console login: the app itself (its page, manifest, icon,
scripts and service worker, all under /app/ so the worker's scope is the app alone), the
enrolment link, and the JSON API the phone sends reports to with its device token
(`Authorization: Bearer <token>`).

An unknown or revoked token gets 401 `{"error": "not_enrolled"}`, which the app shows as "this
device is no longer enrolled". A report sent again (the phone did not hear the answer) gets the
same reference back: 201 the first time, 200 after (`hotline.reportapp.commands`, rule 3).

A report's messages (`hotline.reportapp.messages`) are read and answered at
`/app/api/reports/<client_id>/messages` with the token of the phone that made the report; any
other phone's token finds nothing (404). A reply sent again with the same `id` is one message:
201 the first time, 200 after.
"""

from __future__ import annotations

import base64
import binascii
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template, request

from hotline.base.config import Config
from hotline.base.jobs import dispatch
from hotline.base.models import utcnow
from hotline.base.recording_store import recording_store
from hotline.base.runtime import get_runtime
from hotline.reportapp import commands, memos, messages, phrases
from hotline.reportapp.auth import bearer
from hotline.reportapp.models import AppDevice
from hotline.reportapp.places import read_location
from hotline.reportapp.settings import AppSettings

bp = Blueprint("reportapp", __name__, template_folder="templates")
STATIC = Path(__file__).with_name("static")
ASSETS = {"app.js": "text/javascript", "outbox.js": "text/javascript", "enrol.js": "text/javascript",
          "app.css": "text/css", "icon.svg": "image/svg+xml"}
_CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,40}$")
MAX_THREADS = 20  # the app asks for its newest five (app.js THREADS); a few more for an older or newer app
_PHOTO = re.compile(r"^data:(image/(?:jpeg|png|webp|gif));base64,(.*)$", re.S)


def _cfg() -> Config:
    return current_app.config["HOTLINE"]


def _settings() -> AppSettings:
    return _cfg().section(AppSettings)


def _static(name: str, mimetype: str) -> Response:
    response = Response((STATIC / name).read_text(encoding="utf-8"), mimetype=mimetype)
    response.headers["Cache-Control"] = "no-cache"  # the service worker keeps the offline copy
    return response


@bp.get("/app/")
def app_page() -> str:
    cfg = _cfg()
    lang = phrases.language(request.accept_languages.best, cfg.languages, cfg.default_language)
    return render_template("reportapp/app.html", lang=lang, words=phrases.table(lang), number=cfg.numbers[0],
                           max_photo_kb=_settings().max_photo_kb)


@bp.get("/app/<any('app.js', 'outbox.js', 'enrol.js', 'app.css', 'icon.svg'):name>")
def asset(name: str) -> Response:
    return _static(name, ASSETS[name])


@bp.get("/app/sw.js")
def service_worker() -> Response:
    response = _static("sw.js", "text/javascript")
    response.headers["Service-Worker-Allowed"] = "/app/"
    return response


@bp.get("/app/manifest.webmanifest")
def manifest() -> Response:
    cfg = _cfg()
    body = {"name": f"{cfg.org_name} report", "short_name": "Report", "start_url": "/app/", "scope": "/app/",
            "display": "standalone", "background_color": "#ffffff", "theme_color": "#b00020",
            "icons": [{"src": "/app/icon.svg", "sizes": "any", "type": "image/svg+xml", "purpose": "any maskable"}]}
    response = jsonify(body)
    response.mimetype = "application/manifest+json"
    return response


@bp.get("/app/enrol/<token>")
def enrol_page(token: str) -> str:
    """The link an admin gave: a page that asks first (GET changes nothing: link scanners open links)."""
    cfg = _cfg()
    lang = phrases.language(request.accept_languages.best, cfg.languages, cfg.default_language)
    return render_template("reportapp/enrol.html", lang=lang, words=phrases.table(lang), token=token)


@bp.post("/app/api/enrol")
def enrol() -> tuple[Response, int]:
    body = request.get_json(silent=True) or {}
    token = body.get("link")
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        return jsonify({"error": "link_used"}), 400
    with get_runtime().db.session() as s:
        out, device_token = commands.enrol(s, token, request.headers.get("User-Agent", ""))
        device = s.get(AppDevice, out.subject_id) if out.subject_id else None
        person, lang = (device.person, device.language) if device else ("", "")
    if not out.ok or device_token is None:
        return jsonify({"error": out.code}), 410
    name = _cfg().people[person].name if person in _cfg().people else person
    return jsonify({"token": device_token, "name": name, "language": lang}), 201


def _device(s: Any) -> AppDevice | None:
    token = bearer(request.headers.get("Authorization"))
    return commands.device_for(s, token) if token else None


def _refused() -> tuple[Response, int]:
    response = jsonify({"error": "not_enrolled", "message": "this device is no longer enrolled"})
    response.headers["WWW-Authenticate"] = 'Bearer realm="hotline-app"'
    return response, 401


@bp.get("/app/api/types")
def types() -> tuple[Response, int]:
    """The incident types in the IVR's menu order, named in the phone's language."""
    cfg = _cfg()
    with get_runtime().db.session() as s:
        device = _device(s)
        if device is None:
            return _refused()
        fallback, person = device.language, device.person
    lang = phrases.language(request.args.get("lang"), cfg.languages, fallback)
    return jsonify({"language": lang, "person": cfg.people[person].name if person in cfg.people else person,
                    "types": [{"key": key, "name": cfg.type_name(key, lang)} for key in _type_keys(cfg)],
                    "words": phrases.table(lang)}), 200


def _type_keys(cfg: Config) -> list[str]:
    codes = current_app.config.get("TYPE_CODES") or {}
    keys = [key for _, key in sorted(codes.items())] or list(cfg.incident_types)
    return [key for key in keys if key in cfg.incident_types]


@bp.post("/app/api/reports")
def report() -> tuple[Response, int]:
    cfg, settings = _cfg(), _settings()
    body = request.get_json(silent=True)
    with get_runtime().db.session() as s:
        device = _device(s)
        if device is None:
            return _refused()
        found = _read(body, cfg, settings, device.language)
        if isinstance(found, str):
            return jsonify({"error": found}), 400
        person = cfg.people.get(device.person)
        out = commands.file_report(s, device.id, device.person, person.phone if person else None, found, settings)
        ref = commands.reference(s, out.incident_ids[0]) if out.incident_ids else ""
        device_id = device.id
    dispatch(out.then)
    memo = memos.read(body.get("memo")) if isinstance(body, dict) else None
    if memo is not None:  # after the report is filed: a memo that fails to store loses no report
        with get_runtime().db.session() as s:
            memos.attach(s, recording_store(cfg), device_id, found.client_id, *memo)
    return jsonify({"ref": ref, "client_id": found.client_id, "duplicate": out.code == "already_reported"}), \
        201 if out.code == "reported" else 200


def _read(body: Any, cfg: Config, settings: AppSettings, fallback: str) -> commands.Report | str:
    """The report in the JSON, or what is wrong with it (a 400: the phone keeps the report)."""
    if not isinstance(body, dict):
        return "send a JSON object"
    client_id = body.get("client_id")
    if not isinstance(client_id, str) or not _CLIENT_ID.match(client_id):
        return "client_id: 8 to 40 letters, digits, - or _"
    type_key = body.get("type")
    if type_key not in cfg.incident_types and type_key != "unclassified":
        type_key = "unclassified"  # first law: an unknown type is still a report
    wanted, note = body.get("language"), body.get("note")
    lang = phrases.language(wanted if isinstance(wanted, str) else None, cfg.languages, fallback)
    note = note if isinstance(note, str) else ""
    made = body.get("made_at")
    made_at = datetime.fromtimestamp(made / 1000, UTC) if isinstance(made, int) and 0 < made < 10**14 else utcnow()
    photo, photo_type = _photo(body.get("photo"), settings.max_photo_kb)
    return commands.Report(client_id, str(type_key), lang, note[:commands.NOTE_MAX], made_at,
                           read_location(body.get("location")), photo, photo_type)


def _photo(raw: Any, max_kb: int) -> tuple[bytes | None, str | None]:
    """A data: URL of an image within the size limit; anything else is dropped (rule 4)."""
    if not isinstance(raw, str) or len(raw) > max_kb * 1024 * 4 // 3 + 100:
        return None, None
    m = _PHOTO.match(raw)
    if not m:
        return None, None
    try:
        return base64.b64decode(m.group(2), validate=True), m.group(1)
    except (binascii.Error, ValueError):
        return None, None


def _said(said: list[messages.Message]) -> list[dict[str, Any]]:
    return [{"id": m.id, "at": m.at.isoformat(), "from": "reporter" if m.incoming else "hotline", "body": m.body}
            for m in said]


@bp.get("/app/api/reports/<client_id>/messages")
def report_messages(client_id: str) -> tuple[Response, int]:
    """The conversation on one of this phone's reports, oldest first (an app of before
    `/app/api/messages` polled each report here; its service worker may still hold that app)."""
    with get_runtime().db.session() as s:
        device = _device(s)
        if device is None:
            return _refused()
        report = messages.report_of(s, device.id, client_id) if _CLIENT_ID.match(client_id) else None
        if report is None:
            return jsonify({"error": "not_found"}), 404
        said = messages.messages_of(s, report.id)
    return jsonify({"client_id": client_id, "messages": _said(said)}), 200


@bp.get("/app/api/messages")
def threads() -> tuple[Response, int]:
    """The conversations on this phone's recent reports in one request (`?reports=ID,ID,…`, at most
    `MAX_THREADS`): the app polls every few seconds, and one request per report multiplied the
    web tier's load by the reports each phone keeps. Ids this phone did not make are left out."""
    wanted = [c for c in request.args.get("reports", "").split(",") if c]
    if len(wanted) > MAX_THREADS or not all(_CLIENT_ID.match(c) for c in wanted):
        return jsonify({"error": f"reports: up to {MAX_THREADS} report ids, separated by commas"}), 400
    with get_runtime().db.session() as s:
        device = _device(s)
        if device is None:
            return _refused()
        found = messages.threads_of(s, device.id, wanted) if wanted else {}
    return jsonify({"threads": {client_id: _said(said) for client_id, said in found.items()}}), 200


@bp.post("/app/api/reports/<client_id>/messages")
def report_reply(client_id: str) -> tuple[Response, int]:
    """The reporter's reply: `{"id": <the phone's message id>, "body": "..."}`."""
    body = request.get_json(silent=True)
    with get_runtime().db.session() as s:
        device = _device(s)
        if device is None:
            return _refused()
        if not _CLIENT_ID.match(client_id) or messages.report_of(s, device.id, client_id) is None:
            return jsonify({"error": "not_found"}), 404
        if not isinstance(body, dict) or not isinstance(body.get("id"), str) or not _CLIENT_ID.match(body["id"]):
            return jsonify({"error": "id: 8 to 40 letters, digits, - or _"}), 400
        text = body.get("body")
        out = messages.reply(s, device.id, device.person, client_id, body["id"], text if isinstance(text, str) else "")
    if not out.ok:
        return jsonify({"error": out.code}), 404 if out.code == "not_found" else 400
    return jsonify({"id": out.message_id, "duplicate": out.code == "already_replied"}), \
        201 if out.code == "replied" else 200
