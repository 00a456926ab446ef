"""Fetch recording audio from Twilio, and from nowhere else.

`RecordingUrl` arrives in a webhook. Even signed, it is data, not a place to send our account
credentials: a URL naming another host (an internal service, Redis, the sim's control API) would
receive `Basic AccountSid:AuthToken` and its answer would be stored as a caller's recording.
So a URL is fetched only when it points at the configured Twilio API origin (the sim's base URL
in sim mode) under our own account's Recordings, redirects are never followed to another origin,
and everything else raises `ForeignMediaUrl` before a byte leaves this process.
"""

from __future__ import annotations

import threading
from urllib.parse import urljoin, urlsplit

import requests

from hotline.base.config import DEFAULT_TWILIO_API, Config

MAX_REDIRECTS = 3
_local = threading.local()


class ForeignMediaUrl(ValueError):
    """The URL is not one of our account's recordings on the Twilio API host: refused unfetched."""


def session() -> requests.Session:
    """One Session per process (and thread), so repeated downloads reuse the TLS connection."""
    s: requests.Session | None = getattr(_local, "session", None)
    if s is None:
        s = _local.session = requests.Session()
        s.trust_env = False  # no proxy or .netrc from the environment gets our credentials either
    return s


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    try:
        port = parts.port or {"https": 443, "http": 80}.get(parts.scheme)
    except ValueError:
        port = -1
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


def allowed_origins(cfg: Config) -> set[tuple[str, str, int | None]]:
    """The sim alone in sim mode; otherwise the configured edge and api.twilio.com, where Twilio's
    RecordingUrl points even when REST calls go through a regional edge."""
    if cfg.twilio.sim_mode:
        return {_origin(cfg.twilio.api_origin)}
    return {_origin(cfg.twilio.api_origin), _origin(DEFAULT_TWILIO_API)}


def check_url(cfg: Config, url: str | None) -> str:
    """The URL, if it is one of our recordings at the Twilio API origin; else ForeignMediaUrl."""
    if not url:
        raise ForeignMediaUrl("no recording URL")
    scheme, host, port = _origin(url)
    if (scheme, host, port) not in allowed_origins(cfg) or not host:
        raise ForeignMediaUrl(f"recording URL host {host or '(none)'!r} is not the Twilio API host "
                              f"{cfg.twilio.api_origin}")
    if not cfg.twilio.sim_mode and scheme != "https":
        raise ForeignMediaUrl("recording URL is not https")
    path = urlsplit(url).path
    prefix = f"/2010-04-01/Accounts/{cfg.twilio.account_sid}/Recordings/"
    if not path.startswith(prefix) or "/.." in path or urlsplit(url).query or urlsplit(url).fragment:
        raise ForeignMediaUrl("recording URL is not one of this account's recordings")
    return url


def fetch(cfg: Config, url: str | None, suffix: str = ".wav", timeout: float = 30) -> requests.Response:
    """GET `url + suffix` with our credentials; a redirect is followed only within the same origin.

    Raises ForeignMediaUrl for anything outside Twilio (nothing is sent), requests exceptions for
    network trouble; the caller decides what a non-200 answer means.
    """
    target = check_url(cfg, url) + suffix
    auth = (cfg.twilio.account_sid or "", cfg.twilio.auth_token or "")
    for _ in range(MAX_REDIRECTS + 1):
        response = session().get(target, auth=auth, timeout=timeout, allow_redirects=False)
        if not response.is_redirect:
            return response
        location = urljoin(target, response.headers.get("Location", ""))
        response.close()
        if _origin(location) != _origin(target):
            raise ForeignMediaUrl(f"redirect to another host refused: {_origin(location)[1] or location!r}")
        target = location
    raise ForeignMediaUrl("too many redirects")
