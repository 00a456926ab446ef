"""Security headers on every answer: the console loads only its own scripts and styles, and no
other site may frame it (clickjacking an "accept" or "close" button).

Templates have no inline script or style, so the policy needs no 'unsafe-inline'. Audio may also
come from the public URL (prompts and recordings Twilio plays), which may be another origin.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask
from werkzeug.wrappers import Response


def policy(public_url: str) -> str:
    parts = urlsplit(public_url)
    public = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
    return "; ".join([
        "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
        f"media-src 'self' blob: {public}".rstrip(), "connect-src 'self'", "object-src 'none'",
        "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
    ])


def register(app: Flask, public_url: str) -> None:
    csp = policy(public_url)

    @app.after_request
    def _security_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", csp)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response
