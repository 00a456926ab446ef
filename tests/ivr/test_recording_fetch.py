"""Recording downloads talk to the Twilio API origin only: a redirect to another host is refused
before anything (our credentials above all) is sent there. Real HTTP servers on loopback play the
Twilio origin (as the sim's base URL, in sim mode) and the other host."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask, Response, redirect

from hotline.base.config import ROOT, load_config
from hotline.provider import media as twilio_media
from tests.support.recording_server import PATH, SID, Server


@pytest.fixture()
def servers() -> Iterator[tuple[Server, Server]]:
    other = Server(Flask("elsewhere"))
    origin_app = Flask("twilio")
    origin_app.add_url_rule(f"{PATH}/REaway.wav", "away", lambda: redirect(other.url + "/grab.wav", 302))
    origin_app.add_url_rule(f"{PATH}/REhere.wav", "here", lambda: redirect(f"{PATH}/REfinal.wav", 307))
    origin_app.add_url_rule(f"{PATH}/REfinal.wav", "final", lambda: Response(b"RIFF-audio", mimetype="audio/wav"))
    origin = Server(origin_app)
    yield origin, other
    origin.stop()
    other.stop()


def _config(tmp_path, origin: Server):  # type: ignore[no-untyped-def]
    env = {"HOTLINE_DATA_DIR": str(tmp_path), "TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": "secret-token",
           "HOTLINE_SIM_URL": origin.url}
    return load_config(ROOT / "config.toml", env=env)


def test_a_redirect_to_another_host_is_refused_and_that_host_hears_nothing(tmp_path, servers):
    origin, other = servers
    with pytest.raises(twilio_media.ForeignMediaUrl, match="another host"):
        twilio_media.fetch(_config(tmp_path, origin), f"{origin.url}{PATH}/REaway")
    assert other.hits == []  # no request, so no credentials, ever reached the other host


def test_a_redirect_within_the_twilio_origin_is_followed(tmp_path, servers):
    origin, _other = servers
    r = twilio_media.fetch(_config(tmp_path, origin), f"{origin.url}{PATH}/REhere")
    assert r.status_code == 200 and r.content == b"RIFF-audio"
    assert [p for p, _auth in origin.hits] == [f"{PATH}/REhere.wav", f"{PATH}/REfinal.wav"]
    assert all(auth and auth.startswith("Basic ") for _p, auth in origin.hits)


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:6379/", "https://api.twilio.com.evil.example/2010-04-01/Accounts/{sid}/Recordings/RE1",
    "{origin}/sim/api/log", "{origin}/2010-04-01/Accounts/ACsomeoneelse/Recordings/RE1",
    "{origin}/2010-04-01/Accounts/{sid}/Recordings/RE1?x=1", "", "file:///etc/passwd",
])
def test_anything_but_our_recordings_at_the_origin_is_refused_unfetched(tmp_path, servers, url):
    origin, _other = servers
    with pytest.raises(twilio_media.ForeignMediaUrl):
        twilio_media.fetch(_config(tmp_path, origin), url.format(origin=origin.url, sid=SID))
    assert origin.hits == []


def test_with_real_credentials_only_twilio_hosts_over_https_are_allowed(tmp_path):
    env = {"HOTLINE_DATA_DIR": str(tmp_path), "TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": "t",
           "TWILIO_API_BASE_URL": "https://api.dublin.ie1.twilio.com"}
    cfg = load_config(ROOT / "config.toml", env=env)
    for host in ("https://api.twilio.com", "https://api.dublin.ie1.twilio.com"):
        assert twilio_media.check_url(cfg, f"{host}{PATH}/RE1")
    for bad in (f"http://api.twilio.com{PATH}/RE1", f"https://127.0.0.1{PATH}/RE1"):
        with pytest.raises(twilio_media.ForeignMediaUrl):
            twilio_media.check_url(cfg, bad)
