"""Outbound HTTP from the simulator to the application, signed and classified like Twilio's.

Failures map to Twilio's debugger codes: 11205 (could not connect / timed out) and 11200
(HTTP retrieval failure, i.e. a non-2xx answer).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests

from sim.signing import signature, url_with_query

ERR_HTTP_RETRIEVAL = 11200
ERR_HTTP_CONNECTION = 11205
USER_AGENT = "TwilioProxy/1.1 (twilio-sim)"


@dataclass
class WebhookResult:
    url: str
    method: str
    params: dict[str, str]
    status: int | None
    body: bytes
    content_type: str
    latency_ms: float
    error_code: int | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error_code is None

    def log_entry(self, purpose: str) -> dict[str, Any]:
        """The `webhook` event recorded in the call/event log."""
        text = self.body[:2000].decode("utf-8", "replace") if self.body else ""
        return {
            "kind": "webhook",
            "purpose": purpose,
            "url": self.url,
            "method": self.method,
            "params": dict(self.params),
            "status": self.status,
            "latency_ms": self.latency_ms,
            "error_code": self.error_code,
            "error": self.error,
            "response": text,
        }


def _session() -> requests.Session:
    """A session that ignores the environment (proxies, netrc, CA bundle variables), as Twilio's
    own requests know nothing of ours. Reading os.environ on every request also raced with a
    thread that changes it (pytest's PYTEST_CURRENT_TEST): a KeyError killed a call's thread."""
    http = requests.Session()
    http.trust_env = False
    return http


def send(
    url: str,
    method: str,
    params: Mapping[str, str],
    auth_token: str,
    timeout: float,
) -> WebhookResult:
    """Make one signed webhook request; never raises for network or HTTP errors."""
    method = (method or "POST").upper()
    params = {k: str(v) for k, v in params.items() if v is not None}
    headers = {"User-Agent": USER_AGENT, "Accept": "*/*", "Cache-Control": "max-age=259200"}
    started = time.monotonic()
    try:
        if method == "GET":
            full = url_with_query(url, params)
            headers["X-Twilio-Signature"] = signature(auth_token, full)
            with _session() as http:
                resp = http.get(full, headers=headers, timeout=timeout)
        else:
            headers["X-Twilio-Signature"] = signature(auth_token, url, params)
            with _session() as http:
                resp = http.post(url, data=params, headers=headers, timeout=timeout)
    except requests.Timeout as exc:
        return _failed(
            url, method, params, started, ERR_HTTP_CONNECTION, f"timed out after {timeout}s: {exc}"
        )
    except requests.RequestException as exc:
        return _failed(url, method, params, started, ERR_HTTP_CONNECTION, f"connection failed: {exc}")
    latency = round((time.monotonic() - started) * 1000, 2)
    code = None if 200 <= resp.status_code < 300 else ERR_HTTP_RETRIEVAL
    error = None if code is None else f"HTTP {resp.status_code}"
    return WebhookResult(
        url,
        method,
        params,
        resp.status_code,
        resp.content,
        resp.headers.get("Content-Type", ""),
        latency,
        code,
        error,
    )


def fetch_media(url: str, timeout: float) -> tuple[bytes | None, str | None]:
    """GET an audio file for <Play>; returns (bytes, None) or (None, error)."""
    try:
        with _session() as http:
            resp = http.get(url, headers={"User-Agent": USER_AGENT}, timeout=timeout)
    except requests.RequestException as exc:
        return None, f"connection failed: {exc}"
    if not 200 <= resp.status_code < 300:
        return None, f"HTTP {resp.status_code}"
    return resp.content, None


def _failed(
    url: str, method: str, params: dict[str, str], started: float, code: int, error: str
) -> WebhookResult:
    latency = round((time.monotonic() - started) * 1000, 2)
    return WebhookResult(url, method, params, None, b"", "", latency, code, error)
