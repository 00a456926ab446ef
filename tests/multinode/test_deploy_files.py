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
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests
from werkzeug.serving import make_server

from hotline.base.config import ROOT
from hotline.service import cli
from hotline.service.embedded_redis import free_port
from tests.multinode.cluster import NGINX

DEPLOY = ROOT / "deploy"
# The throwaway certificate names hotline.example.org, the test connects to 127.0.0.1.
pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")


def echo_app(environ, start_response):  # type: ignore[no-untyped-def]
    """A stand-in web node: answers with the headers nginx sent it."""
    headers = {k[5:].replace("_", "-").title(): v for k, v in environ.items() if k.startswith("HTTP_")}
    body = json.dumps({"path": environ["PATH_INFO"], "headers": headers}).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


@pytest.fixture()
def site(tmp_path: Path):
    if not os.path.exists(NGINX) or not shutil.which("openssl"):
        pytest.skip("nginx and openssl are needed (.ci/run installs nginx)")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=hotline.example.org", "-keyout", str(tmp_path / "key.pem"),
                    "-out", str(tmp_path / "cert.pem")], check=True, capture_output=True)
    backend_port, dead_port, http_port, https_port = free_port(), free_port(), free_port(), free_port()
    server = make_server("127.0.0.1", backend_port, echo_app, threaded=True)
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
    sources = "\n".join(p.read_text() for p in (*ROOT.glob("hotline/**/*.py"), *ROOT.glob("callout/**/*.py"),
                                                 *ROOT.glob("transcribe/**/*.py")))
    names = re.findall(r"^([A-Z_]+)=", (DEPLOY / "systemd" / "hotline.env").read_text(), flags=re.M)
    assert "DATABASE_URL" in names and "HOTLINE_METRICS_TOKEN" in names
    unread = [n for n in names if n not in sources]  # HOTLINE_ADMIN_PIN is built as HOTLINE_{role}_PIN
    assert not unread, f"hotline.env sets variables no code reads: {unread}"
