"""The product's one way to get a Twilio REST client, optionally pointed at the simulator."""

from __future__ import annotations

import logging
from typing import Any

from requests.adapters import HTTPAdapter
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from hotline.base.runtime import get_runtime

TWILIO_API = "https://api.twilio.com"
# No REST call may hang a worker or the engine: a Twilio that does not answer in time counts as a
# passing failure (the dialer retries; the person is not skipped).
REST_TIMEOUT_SECONDS = 15.0
# The most REST requests one process has on the wire at once: the thread pools that send
# (hotline.broadcasts.sending, hotline.crisis.notify) are this size, and so is the client's
# connection pool, so every thread keeps its connection. A smaller pool (requests' default is
# 10; the helper library's for https is the number of cores plus 4) opens a connection for each
# request beyond it and throws it away after, with a urllib3 warning each time.
IN_FLIGHT = 20
# The helper library logs every request and response, headers included, at INFO: a dozen lines
# per request, every reconciliation (hotline.paging.reconcile) and every call placed. Its warnings
# and errors still show; our own modules log what each request was for.
logging.getLogger("twilio.http_client").setLevel(logging.WARNING)


class _PooledHttpClient(TwilioHttpClient):
    """The helper library's client with a connection pool of `IN_FLIGHT`, for http (the sim) and https."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        assert self.session is not None  # pool_connections is on (the default)
        for scheme in ("http://", "https://"):
            self.session.mount(scheme, HTTPAdapter(pool_maxsize=IN_FLIGHT))


class _RebasedHttpClient(_PooledHttpClient):
    """Sends every request for api.twilio.com to `base_url` instead (same paths, same auth)."""

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        if url.startswith(TWILIO_API):
            url = self.base_url + url[len(TWILIO_API) :]
        return super().request(method, url, *args, **kwargs)


def make_client(account_sid: str, auth_token: str, api_base_url: str | None = None) -> Client:
    """A real `twilio.rest.Client`; with `api_base_url` its REST calls go there (e.g. the sim)."""
    if not api_base_url:
        return Client(account_sid, auth_token, http_client=_PooledHttpClient(timeout=REST_TIMEOUT_SECONDS))
    return Client(account_sid, auth_token,
                  http_client=_RebasedHttpClient(api_base_url, timeout=REST_TIMEOUT_SECONDS))


def client() -> Client:
    """This process's client for its configuration's account (the sim's, in sim mode), made once."""
    runtime = get_runtime()

    def make() -> Client:
        t = runtime.config.twilio
        if not t.configured:
            raise RuntimeError("no Twilio credentials: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN")
        return make_client(t.account_sid or "", t.auth_token or "", t.api_base_url)

    return runtime.handle("twilio", make)
