"""Fetch recording audio from Twilio, and from nowhere else.

`RecordingUrl` arrives in a webhook. Even signed, it is data, not a place to send our account
credentials: a URL naming another host (an internal service, Redis, the sim's control API) would
receive `Basic AccountSid:AuthToken` and its answer would be stored as a caller's recording.
So a URL is fetched only when it points at the configured Twilio API origin (the sim's base URL
in sim mode) under our own account's Recordings, redirects are never followed to another origin,
and everything else raises `ForeignMediaUrl` before a byte leaves this process.

Two URL parsers that disagree are a hole: `https://HOST\\@api.twilio.com/...` is host
`api.twilio.com` to urllib.parse but HOST to urllib3, which `requests` connects with. So a URL
(and every redirect hop) is judged by the origin `requests` itself will connect to (the prepared
request, parsed by urllib3), must name the same origin under urllib.parse too, and must come out
of `requests` unchanged; userinfo, backslashes, whitespace and control or non-ASCII characters
are refused outright (Twilio's recording URLs carry none of them).
"""

from __future__ import annotations

import threading
from urllib.parse import urljoin, urlsplit

import requests
from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

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


Origin = tuple[str, str, int | None]
DEFAULT_PORTS = {"https": 443, "http": 80}


def _origin(url: str) -> Origin:
    """(scheme, host, port) as urllib.parse reads `url`: for configured origins, which are ours."""
    parts = urlsplit(url)
    try:
        port = parts.port or DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        port = -1
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


def connect_origin(url: str) -> Origin:
    """The origin `requests` will open a connection to for `url`, after refusing anything two
    parsers could read differently (see the module's docstring). Raises ForeignMediaUrl."""
    if any(ch <= " " or ch in "\\\x7f" or not ch.isascii() for ch in url):
        raise ForeignMediaUrl("recording URL holds a backslash, whitespace, or a control or non-ASCII character")
    try:
        prepared = requests.Request("GET", url).prepare().url or ""
        connect = parse_url(prepared)
    except (requests.RequestException, LocationParseError, ValueError) as exc:
        raise ForeignMediaUrl(f"recording URL does not parse: {exc}") from None
    if prepared != url:
        raise ForeignMediaUrl("recording URL is not in its plain form (it changes when parsed)")
    split = urlsplit(url)
    if connect.auth or "@" in split.netloc or split.username is not None:
        raise ForeignMediaUrl("recording URL carries user information")
    scheme = (connect.scheme or "").lower()
    origin = (scheme, (connect.host or "").lower(), connect.port or DEFAULT_PORTS.get(scheme))
    if origin != _origin(url):
        raise ForeignMediaUrl("recording URL names different hosts to different parsers")
    return origin


def allowed_origins(cfg: Config) -> set[Origin]:
    """The sim alone in sim mode; otherwise the configured edge and api.twilio.com, where Twilio's
    RecordingUrl points even when REST calls go through a regional edge."""
    if cfg.twilio.sim_mode:
        return {_origin(cfg.twilio.api_origin)}
    return {_origin(cfg.twilio.api_origin), _origin(DEFAULT_TWILIO_API)}


def check_url(cfg: Config, url: str | None, under: str = "Recordings") -> str:
    """The URL, if it is one of our recordings (`under="Messages"`: a message's media) at the
    Twilio API origin; else ForeignMediaUrl."""
    if not url:
        raise ForeignMediaUrl("no recording URL")
    scheme, host, port = connect_origin(url)
    if (scheme, host, port) not in allowed_origins(cfg) or not host:
        raise ForeignMediaUrl(f"recording URL host {host or '(none)'!r} is not the Twilio API host "
                              f"{cfg.twilio.api_origin}")
    if not cfg.twilio.sim_mode and scheme != "https":
        raise ForeignMediaUrl("recording URL is not https")
    path = urlsplit(url).path
    prefix = f"/2010-04-01/Accounts/{cfg.twilio.account_sid}/{under}/"
    if not path.startswith(prefix) or "/.." in path or urlsplit(url).query or urlsplit(url).fragment:
        raise ForeignMediaUrl("recording URL is not one of this account's recordings")
    if under == "Messages" and "/Media/" not in path:
        raise ForeignMediaUrl("media URL is not one of this account's message media")
    return url


def fetch(cfg: Config, url: str | None, suffix: str = ".wav", timeout: float = 30,
          under: str = "Recordings") -> requests.Response:
    """GET `url + suffix` with our credentials; a redirect is followed only within the same origin.
    `under="Messages"`: an MMS's media (`MediaUrl0`), which Twilio answers with a redirect to its
    media store on another host: that hop alone is followed, https only and without credentials.

    Raises ForeignMediaUrl for anything outside Twilio (nothing is sent), requests exceptions for
    network trouble; the caller decides what a non-200 answer means.
    """
    target = check_url(cfg, url, under) + suffix
    if connect_origin(target) not in allowed_origins(cfg):
        raise ForeignMediaUrl("recording URL changes host with its suffix")
    auth = (cfg.twilio.account_sid or "", cfg.twilio.auth_token or "")
    for _ in range(MAX_REDIRECTS + 1):
        response = session().get(target, auth=auth, timeout=timeout, allow_redirects=False)
        if not response.is_redirect:
            return response
        location = urljoin(target, response.headers.get("Location", ""))
        response.close()
        if connect_origin(location) != connect_origin(target):  # each hop judged as the first
            if under == "Messages" and connect_origin(location)[0] == "https" and not cfg.twilio.sim_mode:
                return _fetch_without_credentials(location, timeout)
            raise ForeignMediaUrl(f"redirect to another host refused: {_origin(location)[1] or location[:100]!r}")
        target = location
    raise ForeignMediaUrl("too many redirects")


def _fetch_without_credentials(url: str, timeout: float) -> requests.Response:
    """Twilio's media store (a signed, expiring URL Twilio itself gave): no credentials, no more hops."""
    response = session().get(url, timeout=timeout, allow_redirects=False)
    if response.is_redirect:
        response.close()
        raise ForeignMediaUrl("the media store redirected again")
    return response
