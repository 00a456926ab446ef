"""The broadcast's public doors, without a console login: the signed single-use reply links of an
email or push message, one-click unsubscribe, and web push (the key, subscribing, the service worker).

A reply link opens a page that asks to confirm (GET changes nothing: mail scanners open links),
and the confirmation records the answer once: the delivery's `link_used_at` is claimed by a
conditional UPDATE, so a second click, a forwarded link or a replay says "already used".

Subscribing to push takes either a signed enrolment token (`links.push_enrol_token`: what the
reporting app presents) or a console login (with its CSRF token) whose user is a directory person.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request
from sqlalchemy import CursorResult, select, update

from hotline.base.config import Config
from hotline.base.db import insert_if_absent
from hotline.base.jobs import dispatch
from hotline.base.models import utcnow
from hotline.base.runtime import get_runtime
from hotline.broadcasts import commands, links, phrases, webpush
from hotline.broadcasts.models import Broadcast, Delivery, PushSubscription, Recipient
from hotline.broadcasts.questions import QUESTIONS
from hotline.directory import commands as directory
from hotline.directory.models import DirectoryPerson
from hotline.web.auth import csrf_ok, current_viewer

bp = Blueprint("broadcast_public", __name__, template_folder="templates")
STATIC = Path(__file__).with_name("static")


def _cfg() -> Config:
    return current_app.config["HOTLINE"]


@bp.record_once
def _keys_at_start(state: Any) -> None:
    """The VAPID key pair exists from the first start, before any browser asks for it."""
    webpush.ensure_keys(state.app.config["HOTLINE"])


def _page(lang: str, message: str, **more: Any) -> str:
    return render_template("broadcasts/reply.html", lang=phrases.language(lang), message=message,
                           org=_cfg().org_name, **more)


@bp.route("/b/r/<token>", methods=["GET", "POST"])
def reply_link(token: str) -> str | tuple[str, int]:
    cfg = _cfg()
    found = links.read_reply_token(cfg, token)
    if found is None:
        return _page(cfg.default_language, phrases.text(None, "page_bad", hotline=cfg.numbers[0])), 404
    delivery_id, key = found
    with get_runtime().db.session() as s:
        row = s.execute(select(Delivery, Recipient, Broadcast).join(Recipient, Recipient.id == Delivery.recipient_id)
                        .join(Broadcast, Broadcast.id == Delivery.broadcast_id)
                        .where(Delivery.id == delivery_id)).first()
        if row is None:
            return _page(cfg.default_language, phrases.text(None, "page_bad", hotline=cfg.numbers[0])), 404
        delivery, recipient, b = row
        lang, question = recipient.language, QUESTIONS.get(b.question or "")
        if question is None or question.answer(key) is None:
            return _page(lang, phrases.text(lang, "page_bad", hotline=cfg.numbers[0])), 404
        label = question.label(key, lang)
        if delivery.link_used_at is not None:
            return _page(lang, phrases.text(lang, "page_used")), 410
        if request.method == "GET":
            return _page(lang, b.title, confirm=phrases.text(lang, "page_confirm"), label=label, token=token)
        claimed = cast(CursorResult[Any], s.execute(
            update(Delivery).where(Delivery.id == delivery_id, Delivery.link_used_at.is_(None))
            .values(link_used_at=utcnow()))).rowcount
        if not claimed:
            return _page(lang, phrases.text(lang, "page_used")), 410
        out = commands.reply(s, recipient.id, key, "link", cfg, delivery_id=delivery_id)
    dispatch(out.then)
    return _page(lang, phrases.text(lang, "page_done", label=label))


@bp.route("/b/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token: str) -> str | tuple[str, int]:
    """RFC 8058 one-click (the mail provider POSTs), or a person following the link."""
    cfg = _cfg()
    person_id = links.read_unsubscribe_token(cfg, token)
    if person_id is None:
        return _page(cfg.default_language, phrases.text(None, "page_bad", hotline=cfg.numbers[0])), 404
    with get_runtime().db.session() as s:
        person = s.get(DirectoryPerson, person_id)
        lang = person.language if person else cfg.default_language
        if request.method == "POST" and person is not None:
            directory.opt_out_email(s, person_id)
    if request.method == "GET":
        return _page(lang, phrases.text(lang, "email_unsubscribe"), confirm=phrases.text(lang, "email_unsubscribe"),
                     token=token, unsubscribe=True)
    return _page(lang, phrases.text(lang, "unsubscribed", org=cfg.org_name))


@bp.get("/push/key")
def push_key() -> Response:
    return jsonify({"key": webpush.application_server_key(_cfg())})


@bp.get("/push-sw.js")
def service_worker() -> Response:
    response = Response((STATIC / "push-sw.js").read_text(encoding="utf-8"), mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = "/"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/console/broadcasts.css")
def stylesheet() -> Response:
    return Response((STATIC / "broadcasts.css").read_text(encoding="utf-8"), mimetype="text/css")


@bp.get("/push/console.js")
def console_script() -> Response:
    return Response((STATIC / "push-console.js").read_text(encoding="utf-8"), mimetype="text/javascript")


def _subscriber(body: dict[str, Any]) -> int | None:
    token = body.get("token")
    if isinstance(token, str) and token:
        return links.read_push_enrol_token(_cfg(), token)
    viewer = current_viewer()
    if viewer is None or not csrf_ok():
        return None
    with get_runtime().db.session() as s:
        return s.scalar(select(DirectoryPerson.id).where(DirectoryPerson.console_user == viewer.name,
                                                         DirectoryPerson.active.is_(True)))


@bp.post("/push/subscriptions")
def subscribe() -> tuple[Response, int]:
    """{"subscription": PushSubscription.toJSON(), "token": optional enrolment token}."""
    body = request.get_json(silent=True) or {}
    person_id = _subscriber(body)
    if person_id is None:
        return jsonify({"error": "log in to the console as a directory person, or present an enrolment token"}), 403
    sub = body.get("subscription") or {}
    keys = sub.get("keys") or {}
    endpoint, p256dh, auth = sub.get("endpoint"), keys.get("p256dh"), keys.get("auth")
    if not (isinstance(endpoint, str) and endpoint.startswith(("https://", "http://")) and isinstance(p256dh, str)
            and isinstance(auth, str) and len(endpoint) <= 1000 and len(p256dh) <= 200 and len(auth) <= 100):
        abort(400)
    with get_runtime().db.session() as s:
        row = insert_if_absent(s, PushSubscription.__table__, "endpoint",
                               {"person_id": person_id, "endpoint": endpoint, "p256dh": p256dh, "auth": auth,
                                "created_at": utcnow()}, "id")
        if row is None:
            s.execute(update(PushSubscription).where(PushSubscription.endpoint == endpoint).values(
                person_id=person_id, p256dh=p256dh, auth=auth, gone_at=None))
    return jsonify({"ok": True}), 201
