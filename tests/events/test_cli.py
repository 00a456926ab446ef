"""`run.py integrations ...` and `run.py events test`, as an administrator runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hotline.base.config import ROOT

pytestmark = pytest.mark.slow  # starts run.py as a process


def run(tmp: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOTLINE_DATA_DIR": str(tmp / "data"), "HOTLINE_CONFIG": str(ROOT / "config.toml"),
           "DATABASE_URL": "", "REDIS_URL": ""}
    return subprocess.run([sys.executable, str(ROOT / "run.py"), *argv], env=env, cwd=ROOT, text=True,
                          capture_output=True, timeout=120)


def test_add_list_rotate_revoke(tmp_path: Path) -> None:
    added = run(tmp_path, "integrations", "add", "ids", "--type", "cyber_security", "--hmac")
    assert added.returncode == 0, added.stderr
    key = added.stdout.splitlines()[1].strip()
    assert len(key) == 32 and "HMAC secret" in added.stdout and "/events/v2/enqueue" in added.stdout
    assert run(tmp_path, "integrations", "add", "ids", "--type", "cyber_security").returncode == 1
    assert run(tmp_path, "integrations", "add", "x", "--type", "nope").returncode == 2
    listed = run(tmp_path, "integrations", "list").stdout
    assert "ids" in listed and "active" in listed and key not in listed
    rotated = run(tmp_path, "integrations", "rotate", "ids")
    assert rotated.returncode == 0 and key not in rotated.stdout
    assert run(tmp_path, "integrations", "revoke", "ids").returncode == 0
    assert "revoked" in run(tmp_path, "integrations", "list").stdout
    assert run(tmp_path, "integrations", "revoke", "ghost").returncode == 1


def test_events_test_shows_the_rule_and_creates_nothing(tmp_path: Path) -> None:
    body = {"routing_key": "0" * 32, "event_action": "trigger", "dedup_key": "leak",
            "payload": {"summary": "leak", "source": "ids", "severity": "warning",
                        "custom_details": {"affected_records": 12}}}
    path = tmp_path / "event.json"
    path.write_text(json.dumps(body), encoding="utf-8")
    out = run(tmp_path, "events", "test", str(path), "--type", "cyber_security")
    assert out.returncode == 0, out.stderr
    assert "verdict: watch" in out.stdout
    body["payload"]["custom_details"] = {"affected_records": 1200}  # type: ignore[index]
    path.write_text(json.dumps(body), encoding="utf-8")
    assert "verdict: page (rule cyber_security.large_leak" in run(tmp_path, "events", "test", str(path),
                                                                  "--type", "cyber_security").stdout
    assert not (tmp_path / "data" / "hotline.db").exists()  # nothing was created, not even the database
    path.write_text("{}", encoding="utf-8")
    assert "invalid event" in run(tmp_path, "events", "test", str(path), "--type", "cyber_security").stdout


def test_check_prints_the_rules(tmp_path: Path) -> None:
    out = run(tmp_path, "check")
    assert out.returncode == 0, out.stderr
    assert "cyber_security: large_leak: affected_records >= 1000 -> page" in out.stdout
