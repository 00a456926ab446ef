"""A wrong config.toml fails at start-up naming the file, the key, the bad value and the fix: all of them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hotline.base.config import ROOT, ConfigError, load_config
from hotline.ivr.flow import load_flow

GOOD = (ROOT / "config.toml").read_text(encoding="utf-8")


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "config.toml"
    p.write_text(text, encoding="utf-8")
    (tmp_path / "ivr_flows").symlink_to(ROOT / "ivr_flows")
    return p


def test_the_shipped_config_and_flow_are_valid():
    cfg = load_config(env={})
    load_flow(cfg)
    assert cfg.numbers == ("+886277001234",)
    assert set(cfg.languages) == {"zh-TW", "en-US"}


def test_every_problem_is_listed_with_file_key_value_and_fix(tmp_path):
    bad = (GOOD.replace('numbers = ["+886277001234"]', 'numbers = ["12345"]')
               .replace('phone = "+886912000002"', 'phone = "not a phone"')
               .replace('timezone = "Asia/Taipei"', 'timezone = "Mars/Olympus"')
               .replace('record_max_seconds = 180', 'record_max_seconds = "long"'))
    path = write(tmp_path, bad)
    with pytest.raises(ConfigError) as err:
        load_config(path, env={})
    text = str(err.value)
    problems = {p.key: p for p in err.value.problems}
    assert set(problems) >= {"hotline.numbers[0]", "people.lin.phone", "organisation.timezone",
                             "hotline.record_max_seconds"}
    assert problems["people.lin.phone"].value == "not a phone"
    assert "E.164" in problems["people.lin.phone"].fix
    assert str(path) in text and "'12345'" in text and "Mars/Olympus" in text


def test_satellite_numbers_are_valid(tmp_path):
    path = write(tmp_path, GOOD.replace('phone = "+886912000002"', 'phone = "+881631234567"'))
    assert load_config(path, env={}).people["lin"].phone == "+881631234567"


def test_secrets_in_the_file_are_refused(tmp_path):
    path = write(tmp_path, GOOD.replace('api_base_url = ""', 'api_base_url = ""\nauth_token = "abc"'))
    with pytest.raises(ConfigError) as err:
        load_config(path, env={})
    assert "TWILIO_AUTH_TOKEN" in str(err.value) and "abc" not in str(err.value)


def test_credentials_and_urls_come_from_the_environment(tmp_path):
    path = write(tmp_path, GOOD)
    cfg = load_config(path, env={"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "t", "REDIS_URL": "redis://x:1/0",
                                 "DATABASE_URL": "postgresql://u@h/db"})
    assert cfg.twilio.configured and cfg.redis_url == "redis://x:1/0" and cfg.database_url == "postgresql://u@h/db"
    assert not load_config(path, env={}).twilio.configured


def test_flow_errors_name_the_flow_file(tmp_path):
    flows = tmp_path / "flows"
    flows.mkdir()
    text = (ROOT / "ivr_flows" / "default.toml").read_text(encoding="utf-8")
    text = text.replace('{ key = "2", type = "cyber_security", next = "severity" }',
                        '{ key = "1", type = "cyber_crime", next = "nowhere" }')
    (flows / "default.toml").write_text(text, encoding="utf-8")
    path = write(tmp_path, GOOD.replace('flows_dir = "ivr_flows"', 'flows_dir = "flows"'))
    with pytest.raises(ConfigError) as err:
        load_flow(load_config(path, env={}))
    keys = {p.key for p in err.value.problems}
    assert {"nodes.menu.options[1].key", "nodes.menu.options[1].type", "nodes.menu.options[1].next"} <= keys
    assert all(p.file.endswith("flows/default.toml") for p in err.value.problems)


@pytest.mark.slow  # starts run.py as a process
def test_run_py_check_prints_summary_and_fails_on_bad_config(tmp_path):
    ok = subprocess.run([sys.executable, str(ROOT / "run.py"), "check"], capture_output=True, text=True,
                        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert ok.returncode == 0, ok.stderr
    assert "+886277001234" in ok.stdout and "[2] cyber_security" in ok.stdout and "greeting: zh-TW=TTS" in ok.stdout
    path = write(tmp_path, GOOD.replace('numbers = ["+886277001234"]', 'numbers = ["12345"]'))
    bad = subprocess.run([sys.executable, str(ROOT / "run.py"), "check"], capture_output=True, text=True,
                         env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "HOTLINE_CONFIG": str(path)})
    assert bad.returncode == 2 and "hotline.numbers[0]" in bad.stderr and str(path) in bad.stderr


@pytest.mark.slow  # starts run.py as a process
def test_fallback_twiml_for_a_twiml_bin_records_and_ends_without_our_server(tmp_path):
    import xml.etree.ElementTree as ET

    out = subprocess.run([sys.executable, str(ROOT / "run.py"), "fallback-twiml"], capture_output=True, text=True,
                         env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert out.returncode == 0, out.stderr
    root = ET.fromstring(out.stdout)
    verbs = [child.tag for child in root]
    assert verbs[:2] == ["Say", "Say"] and "Record" in verbs
    # Twilio speaks the Bin itself: each <Say> names a voice its table lists for the language
    assert [(say.get("voice"), say.get("language")) for say in root.findall("Say")] == [
        ("Google.cmn-TW-Standard-A", "cmn-TW"), ("Polly.Joanna-Neural", "en-US")]
    record = root.find("Record")
    assert record.get("finishOnKey") == "#" and record.get("maxLength") == "180"
    assert record.get("action", "").startswith("https://twimlets.com/echo?Twiml=")  # no loop back into the Bin
    assert record.get("recordingStatusCallback", "").endswith("/voice/recording-status?src=fallback")


@pytest.mark.parametrize(("table", "line", "key", "closest"), [
    ("[hotline]", 'public_ulr = "https://hotline.example.org"', "hotline.public_ulr", "public_url"),
    ("[organisation]", 'timezon = "Asia/Taipei"', "organisation.timezon", "timezone"),
    ("[storage]", 'recording_dir = "/srv/recordings"', "storage.recording_dir", "recordings_dir"),
    ("[redis]", 'uri = "redis://127.0.0.1:6379/0"', "redis.uri", "url"),
    ("[web]", "trusted_proxy = 1", "web.trusted_proxy", "trusted_proxies"),
    ("[security]", "trust_verified_callerid = true", "security.trust_verified_callerid", "trust_verified_caller_id"),
    ("[transcribe]", 'model_dir = "data/models"', "transcribe.model_dir", "models_dir"),
])
def test_a_misspelt_key_is_refused_naming_the_closest_known_one(tmp_path, table, line, key, closest):
    assert table + "\n" in GOOD
    path = write(tmp_path, GOOD.replace(table + "\n", f"{table}\n{line}\n", 1))
    with pytest.raises(ConfigError) as err:
        load_config(path, env={})
    (problem,) = err.value.problems
    assert problem.key == key and problem.file == str(path)
    assert f"did you mean `{closest}`?" in problem.fix


def test_an_unknown_top_level_table_is_refused(tmp_path):
    path = write(tmp_path, GOOD + '\n[retension]\nrecordings = "30d"\n\n[people.chen.extra]\nx = 1\n')
    with pytest.raises(ConfigError) as err:
        load_config(path, env={})
    problems = {p.key: p for p in err.value.problems}
    assert set(problems) == {"retension", "people.chen.extra"}
    assert "did you mean `retention`?" in problems["retension"].fix
    assert "unknown setting in [people.chen]" in problems["people.chen.extra"].fix


@pytest.mark.parametrize("section", ["retention", "events", "reportapp", "text_reports", "broadcasts", "console",
                                     "crisis"])
def test_a_section_that_is_not_a_table_is_named_by_its_own_key(tmp_path, section):
    """`retention = 5` instead of `[retention]`: the problem names `retention`, not `retention.`."""
    path = write(tmp_path, f"{section} = 5\n" + _without_table(GOOD, section))
    with pytest.raises(ConfigError) as err:
        load_config(path, env={})
    problems = [p for p in err.value.problems if p.key.split(".")[0] == section]
    assert [(p.key, p.value) for p in problems] == [(section, 5)]
    assert f"[{section}]" in problems[0].fix


def _without_table(text: str, name: str) -> str:
    """`text` without the table `[name]` and its sub-tables `[name.x]`."""
    kept, inside = [], False
    for line in text.split("\n"):
        if line.startswith("["):
            header = line.split("]")[0].lstrip("[")
            inside = header == name or header.startswith(name + ".")
        if not inside:
            kept.append(line)
    return "\n".join(kept)
