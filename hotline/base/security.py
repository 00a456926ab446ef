"""Twilio webhook authentication: every route Twilio calls checks `X-Twilio-Signature`.

The signature covers the exact URL Twilio requested, so the URL is rebuilt from
`public_url` (what Twilio was told) and, only behind a configured reverse proxy
(`[web] trusted_proxies`), from the forwarded headers: otherwise the Host header, which anyone
can set, would decide which host's signature is accepted.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from flask import Response, current_app, request

from hotline.base import audit_rollup
from hotline.base.runtime import get_runtime

log = logging.getLogger("hotline.security")


def candidate_urls(public_url: str, behind_proxy: bool = False) -> list[str]:
    """The URLs Twilio may have signed: public_url + path, and behind a trusted proxy the URL as
    the proxy forwarded it."""
    path = request.full_path if request.query_string else request.path
    urls = [public_url.rstrip("/") + path] + ([request.url] if behind_proxy else [])
    return list(dict.fromkeys(urls))


def signature_valid(auth_token: str | None, public_url: str, behind_proxy: bool = False) -> bool:
    """Twilio's scheme (HMAC-SHA1 over the URL and the sorted parameters, as its RequestValidator
    computes it), built once per request: one HMAC in the common case, where the URL Twilio
    signed is the public URL as configured; the port variants only when that does not match."""
    signature = request.headers.get("X-Twilio-Signature", "")
    if not auth_token or not signature:
        return False
    form = request.form if request.method == "POST" else None
    payload = "".join(key + value for key in sorted(form) for value in sorted(set(form.getlist(key)))) if form else ""
    key, given = auth_token.encode(), signature.strip().encode()

    def signed(url: str) -> bool:
        digest = hmac.new(key, (url + payload).encode(), hashlib.sha1).digest()
        return hmac.compare_digest(base64.b64encode(digest), given)

    urls = candidate_urls(public_url, behind_proxy)
    return any(signed(url) for url in urls) or any(signed(v) for url in urls for v in _port_variants(url))


def _port_variants(url: str) -> list[str]:
    """The URL with its default port added or its port removed: Twilio signs either, depending on
    how the webhook URL was written (its own validator tries both)."""
    parts = urlsplit(url)
    if parts.port:
        return [urlunsplit(parts._replace(netloc=parts.netloc.rsplit(":", 1)[0]))]
    port = 443 if parts.scheme == "https" else 80
    return [urlunsplit(parts._replace(netloc=f"{parts.netloc}:{port}"))]


def twilio_webhook(view: Callable[..., Any]) -> Callable[..., Any]:
    """Reject (403) any request not signed by our Twilio account; mark the view for the route audit."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        cfg = current_app.config["HOTLINE"]
        if not signature_valid(cfg.twilio.auth_token, cfg.public_url, cfg.trusted_proxies > 0):
            _audit_forgery()
            return Response("invalid Twilio signature", status=403, mimetype="text/plain")
        return view(*args, **kwargs)

    wrapper.twilio_webhook = True  # type: ignore[attr-defined]  # a mark on the view, read by the route audit
    return wrapper


def _audit_forgery() -> None:
    """Best effort: a forged request must not be able to break anything by failing to log, nor
    fill the database by being repeated: one row per source per minute, with a count."""
    signed = bool(request.headers.get("X-Twilio-Signature"))
    log.warning("rejected unsigned or forged webhook path=%s remote=%s signed=%s", request.path,
                request.remote_addr, signed)
    try:
        with get_runtime().db.session() as s:
            audit_rollup.count(s, "forged_webhook", request.remote_addr or "unknown", request.path[:200],
                               signed=signed)
    except Exception:  # noqa: BLE001 - logging must never turn a 403 into a 500
        log.exception("could not audit a forged webhook")
