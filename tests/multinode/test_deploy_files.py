"""deploy/ is tested, not just written: the nginx site runs (TLS with a throwaway certificate,
the upstreams pointed at local servers) and forwards what the web nodes are told to believe;
the systemd units start run.py commands that exist, with environment variables the code reads."""

from __future__ import annotations

import configparser
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from hotline.base.config import ROOT
from hotline.service import cli
from hotline.service.embedded_redis import free_port
from tests.support.cluster import NGINX
from tests.support.lanes import starts_processes

DEPLOY = ROOT / "deploy"
# The throwaway certificate names hotline.example.org, the test connects to 127.0.0.1.
pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")


class EchoNode(BaseHTTPRequestHandler):
    """A stand-in web node that keeps connections open as gunicorn does (HTTP/1.1 keep-alive):
    answers with the headers nginx sent it and the port it came from. On /voice/drop it closes
    the connection without answering, as a web worker that crashes mid-request does."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.startswith("/voice/drop"):
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        body = json.dumps({"path": self.path.split("?")[0], "peer": self.client_address[1],
                           "headers": {k.title(): v for k, v in self.headers.items()}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET  # noqa: N815

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture()
@starts_processes
def site(tmp_path: Path):
    if not os.path.exists(NGINX) or not shutil.which("openssl"):
        pytest.skip("nginx and openssl are needed (.ci/run installs nginx)")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=hotline.example.org", "-keyout", str(tmp_path / "key.pem"),
                    "-out", str(tmp_path / "cert.pem")], check=True, capture_output=True)
    backend_port, dead_port, http_port, https_port = free_port(), free_port(), free_port(), free_port()
    server = ThreadingHTTPServer(("127.0.0.1", backend_port), EchoNode)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    text = (DEPLOY / "nginx" / "hotline.conf").read_text()
    for old, new in (("10.0.0.11:8000", f"127.0.0.1:{dead_port}"), ("10.0.0.12:8000", f"127.0.0.1:{backend_port}"),
                     ("listen 80;", f"listen 127.0.0.1:{http_port};"), ("listen [::]:80;", ""),
                     ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
                     ("listen [::]:443 ssl http2;", ""),
                     ("/etc/letsencrypt/live/hotline.example.org/fullchain.pem", str(tmp_path / "cert.pem")),
                     ("/etc/letsencrypt/live/hotline.example.org/privkey.pem", str(tmp_path / "key.pem")),
                     ("/etc/nginx/hotline-proxy.conf", str(DEPLOY / "nginx" / "hotline-proxy.conf"))):
        assert old in text, f"deploy/nginx/hotline.conf no longer has {old!r}: update this test with it"
        text = text.replace(old, new)
    (tmp_path / "site.conf").write_text(text)
    temps = "\n".join(f"{k}_temp_path {tmp_path / k};" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (tmp_path / "nginx.conf").write_text(f"""daemon off;
pid {tmp_path / 'nginx.pid'};
error_log {tmp_path / 'error.log'} warn;
events {{ worker_connections 64; }}
http {{
  access_log off;
  {temps}
  include {tmp_path / 'site.conf'};
}}
""")
    proc = subprocess.Popen([NGINX, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                requests.get(f"http://127.0.0.1:{http_port}/", timeout=1, allow_redirects=False)
                break
            except requests.RequestException:
                assert proc.poll() is None, (tmp_path / "error.log").read_text(errors="replace")
                assert time.monotonic() < deadline
                time.sleep(0.2)
        yield f"https://127.0.0.1:{https_port}", f"http://127.0.0.1:{http_port}"
    finally:
        proc.send_signal(signal.SIGQUIT)
        proc.wait(10)
        server.shutdown()


def test_the_nginx_site_serves_twilio_paths_over_tls_and_sets_the_forwarded_headers(site) -> None:
    https, http = site
    r = requests.post(f"{https}/voice/incoming", data={"CallSid": "CA1"}, verify=False, timeout=10,
                      headers={"Host": "hotline.example.org", "X-Forwarded-For": "6.6.6.6",
                               "X-Forwarded-Host": "evil.example", "X-Forwarded-Prefix": "/evil"})
    assert r.status_code == 200  # the first upstream is down: nginx went on to the second
    seen = r.json()["headers"]
    assert seen["X-Forwarded-For"] == "127.0.0.1"  # the client's own header is replaced, not appended to
    assert seen["X-Forwarded-Proto"] == "https"
    assert seen["X-Forwarded-Host"] == "hotline.example.org"
    assert "X-Forwarded-Prefix" not in seen
    for path in ("/voice/callout/answer", "/prompts/greeting/zh-TW.wav", "/media/recording/1/t.wav",
                 "/console/login", "/healthz", "/"):
        assert requests.get(f"{https}{path}", verify=False, timeout=10).json()["path"] == path
    assert requests.get(f"{https}/metrics", verify=False, timeout=10).status_code == 404
    assert requests.get(f"{https}/sim", verify=False, timeout=10).status_code == 404
    redirect = requests.get(f"{http}/voice/incoming", timeout=10, allow_redirects=False)
    assert redirect.status_code == 301 and redirect.headers["Location"].startswith("https://")


def test_each_request_reaches_a_web_node_on_a_connection_of_its_own(site) -> None:
    """No keepalive to the web nodes: gunicorn closes a connection idle for 2 s, and a POST that
    nginx sends on one at that moment is reset and lost, as nginx never sends a POST twice."""
    https, _ = site
    peers = [requests.post(f"{https}/voice/status", data={"CallSid": f"CA{i}"}, verify=False, timeout=10,
                           headers={"Host": "hotline.example.org"}).json()["peer"] for i in range(6)]
    assert len(set(peers)) == len(peers), peers


def test_a_web_node_that_fails_one_request_still_gets_the_next(site) -> None:
    """Failing one request (a crashed web worker's) takes no node out of the rotation: with the
    other node down, that would turn every webhook into a 502 until nginx tried the node again."""
    https, _ = site
    dropped = requests.post(f"{https}/voice/drop", data={"CallSid": "CA1"}, verify=False, timeout=10,
                            headers={"Host": "hotline.example.org"})
    assert dropped.status_code == 502  # sent once and failed: never sent again
    for i in range(4):  # the first upstream is down, the second dropped one: it must still be asked
        r = requests.post(f"{https}/voice/status", data={"CallSid": f"CA{i}"}, verify=False, timeout=10,
                          headers={"Host": "hotline.example.org"})
        assert r.status_code == 200, r.text


def test_the_systemd_units_run_commands_that_exist_with_variables_the_code_reads() -> None:
    units = sorted((DEPLOY / "systemd").glob("*.service"))
    assert {u.stem for u in units} >= {"hotline-web", "hotline-worker", "hotline-engine"}
    for unit in units:
        parser = configparser.ConfigParser(strict=True, interpolation=None)
        parser.optionxform = str  # type: ignore[assignment,method-assign]
        parser.read(unit)
        service = parser["Service"]
        assert service["EnvironmentFile"] == "/etc/hotline/hotline.env"
        assert service["Restart"] == "always" and parser["Unit"]["StartLimitIntervalSec"] == "0"
        command = service["ExecStart"].split()
        assert command[1].endswith("/run.py") and command[2] in cli.COMMANDS, unit.name
    sources = "\n".join(p.read_text() for p in ROOT.glob("hotline/**/*.py"))
    names = re.findall(r"^([A-Z_]+)=", (DEPLOY / "systemd" / "hotline.env").read_text(), flags=re.M)
    assert "DATABASE_URL" in names and "HOTLINE_METRICS_TOKEN" in names
    unread = [n for n in names if n not in sources]  # HOTLINE_ADMIN_PIN is built as HOTLINE_{role}_PIN
    assert not unread, f"hotline.env sets variables no code reads: {unread}"
