"""Issue #24 finding 2: the recording-download guard and the HTTP client must read a URL alike.

`https://HOST\\@api.twilio.com/...` is host api.twilio.com to urllib.parse and HOST to urllib3 (what
`requests` connects with): the check passed and the account's credentials went to HOST. Real
HTTP servers on loopback play the Twilio origin (the sim's base URL, in sim mode) and the
attacker's host, whose port the URLs smuggle in.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from flask import Flask, redirect
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hotline.base.config import ROOT, load_config
from hotline.provider import media as twilio_media
from tests.ivr.test_recording_fetch import PATH, SID, Server


@pytest.fixture()
def servers() -> Iterator[tuple[Server, Server]]:
    attacker = Server(Flask("attacker"))
    origin_app = Flask("twilio")
    origin = Server(origin_app)
    smuggled = f"http://127.0.0.1:{attacker.server.server_port}\\@127.0.0.1:{origin.server.server_port}/x.wav"
    origin_app.add_url_rule(f"{PATH}/REaway.wav", "away", lambda: redirect(smuggled, 302))
    yield origin, attacker
    origin.stop()
    attacker.stop()


def _sim_config(tmp_path, origin: Server):  # type: ignore[no-untyped-def]
    env = {"HOTLINE_DATA_DIR": str(tmp_path), "TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": "secret-token",
           "HOTLINE_SIM_URL": origin.url}
    return load_config(ROOT / "config.toml", env=env)


def _twilio_config(tmp_path):  # type: ignore[no-untyped-def]
    env = {"HOTLINE_DATA_DIR": str(tmp_path), "TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": "t"}
    return load_config(ROOT / "config.toml", env=env)


def test_finding_2_a_backslash_before_userinfo_does_not_reach_the_other_host(tmp_path, servers):
    origin, attacker = servers
    url = f"http://127.0.0.1:{attacker.server.server_port}\\@127.0.0.1:{origin.server.server_port}{PATH}/RE1"
    with pytest.raises(twilio_media.ForeignMediaUrl):
        twilio_media.fetch(_sim_config(tmp_path, origin), url)
    assert attacker.hits == [] and origin.hits == []


@pytest.mark.parametrize("url", [
    f"https://HOST\\@api.twilio.com{PATH}/RE1", f"https://evil.example\\@api.twilio.com{PATH}/RE1",
    f"https://user@api.twilio.com{PATH}/RE1", f"https://evil.example@api.twilio.com{PATH}/RE1",
    f"https://api.twilio.com\\.evil.example{PATH}/RE1", f"https://api.twilio.com%5C@evil.example{PATH}/RE1",
    f"https://api.twilio.com\t{PATH}/RE1", f"https://api.twilio.com{PATH}/RE1\\..\\..\\x",
    f"https://API.twilio.com{PATH}/RE1", f"https://api.twilio.com{PATH}/RE\u00e91",
])
def test_finding_2_urls_two_parsers_could_read_differently_are_refused(tmp_path, url):
    with pytest.raises(twilio_media.ForeignMediaUrl):
        twilio_media.check_url(_twilio_config(tmp_path), url)


def test_finding_2_a_redirect_hop_is_checked_like_the_first_url(tmp_path, servers):
    origin, attacker = servers
    with pytest.raises(twilio_media.ForeignMediaUrl):
        twilio_media.fetch(_sim_config(tmp_path, origin), f"{origin.url}{PATH}/REaway")
    assert attacker.hits == []  # no request, so no credentials
    assert [p for p, _auth in origin.hits] == [f"{PATH}/REaway.wav"]


PIECES = ["api.twilio.com", "evil.example", "127.0.0.1", "@", "\\", "/", ":", "443", "%40", "%5C", "?", "#",
          ".", "..", "\t", " ", "\r\n", "[", "]", "user", ":pass", "%2F", "\u3002", "\uff0e", ";", "&"]


@st.composite
def urls(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["https://", "http://", "HTTPS://", "https:/", "https:\\\\", ""]))
    before = draw(st.lists(st.sampled_from(PIECES), max_size=4))
    host = draw(st.sampled_from(["api.twilio.com", "evil.example", "api.twilio.com.evil.example"]))
    after = draw(st.lists(st.sampled_from(PIECES), max_size=4))
    return scheme + "".join(before) + host + "".join(after) + f"{PATH}/RE" + draw(st.text("abc0\\@/:", max_size=3))


def _connection_origin(url: str) -> tuple[str, str, int]:
    """Where `requests` really opens its connection: the pool its own adapter picks."""
    prepared = requests.Session().prepare_request(requests.Request("GET", url))
    pool = requests.adapters.HTTPAdapter().get_connection_with_tls_context(prepared, verify=True)
    return pool.scheme, pool.host, pool.port


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(url=urls())
def test_finding_2_property_the_host_we_check_is_the_host_we_connect_to(tmp_path, url):
    cfg = _twilio_config(tmp_path)
    try:
        checked = twilio_media.check_url(cfg, url)
    except twilio_media.ForeignMediaUrl:
        return
    assert _connection_origin(checked + ".wav") == ("https", "api.twilio.com", 443)


def test_finding_2_property_generator_reaches_accepted_urls(tmp_path):
    """The property above would be empty if no generated URL were ever accepted."""
    assert twilio_media.check_url(_twilio_config(tmp_path), f"https://api.twilio.com{PATH}/RE1")
    assert _connection_origin(f"https://api.twilio.com{PATH}/RE1.wav") == ("https", "api.twilio.com", 443)
