"""Every <Say> voice is one Twilio documents for its language: the defaults, the configured ones,
and the sim's table (the same data, kept twice because the sim imports nothing of ours)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.base.config import ROOT, ConfigError, load_config
from hotline.base.voices import TABLE, choose, default_voices, table
from sim import voices as sim_voices

GOOD = (ROOT / "config.toml").read_text(encoding="utf-8")
SHIPPED = 'voices = { "zh-TW" = "Google.cmn-TW-Standard-A", "en-US" = "Polly.Joanna-Neural" }'


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "config.toml"
    p.write_text(text, encoding="utf-8")
    (tmp_path / "ivr_flows").symlink_to(ROOT / "ivr_flows")
    return p


def test_the_sim_keeps_the_same_table_as_the_product():
    assert (ROOT / "sim" / "twilio_voices.toml").read_bytes() == TABLE.read_bytes()


def test_the_shipped_config_names_a_documented_voice_for_each_language():
    assert SHIPPED in GOOD
    cfg = load_config(env={})
    assert cfg.voices.say("zh-TW") == {"voice": "Google.cmn-TW-Standard-A", "language": "cmn-TW"}
    assert cfg.voices.say("en-US") == {"voice": "Polly.Joanna-Neural", "language": "en-US"}
    for lang in cfg.languages:
        said = cfg.voices.say(lang)
        assert sim_voices.problem(said["voice"], said["language"]) is None


@pytest.mark.parametrize("lang", sorted(table().defaults))
def test_every_default_is_a_pair_the_sim_accepts(lang: str):
    said = default_voices([lang]).say(lang)
    assert sim_voices.problem(said["voice"], said["language"]) is None
    assert said["voice"] not in ("man", "woman", "alice")


def test_twilios_default_voice_does_not_speak_taiwanese_mandarin():
    assert sim_voices.problem("man", "zh-TW") and sim_voices.problem("man", "cmn-TW")
    assert sim_voices.problem("man", "en-US") is None  # Twilio's defaults: voice man, language en-US
    assert sim_voices.problem("Polly.Zhiyu", "zh-TW")  # Polly's Mandarin voice speaks cmn-CN only
    assert sim_voices.problem("alice", "zh-TW") is None  # the legacy voice lists zh-TW itself


def test_a_voice_twilio_does_not_document_for_the_language_is_refused_with_the_fix(tmp_path: Path):
    bad = GOOD.replace(SHIPPED, 'voices = { "zh-TW" = "Polly.Joanna-Neural", "en-US" = "Polly.Jonana" }')
    path = write(tmp_path, bad)
    with pytest.raises(ConfigError) as err:
        load_config(path, env={})
    problems = {p.key: p for p in err.value.problems}
    assert set(problems) == {"hotline.voices.zh-TW", "hotline.voices.en-US"}
    assert problems["hotline.voices.zh-TW"].value == "Polly.Joanna-Neural"
    assert '"Google.cmn-TW-Standard-A"' in problems["hotline.voices.zh-TW"].fix
    assert "twilio.com/docs/voice/twiml/say/text-speech" in problems["hotline.voices.zh-TW"].fix
    assert '"Polly.Joanna-Neural"' in problems["hotline.voices.en-US"].fix
    assert str(path) in str(err.value)


def test_no_voice_configured_takes_the_tables_default(tmp_path: Path):
    path = write(tmp_path, GOOD.replace(SHIPPED, "").replace('languages = ["zh-TW", "en-US"]',
                                                             'languages = ["zh-TW", "en-US", "ko-KR"]'))
    with pytest.raises(ConfigError):  # ko-KR has no incident type names; the voices are not the problem
        load_config(path, env={})
    voices, problems = choose({}, ("zh-TW", "en-US", "ko-KR"))
    assert problems == []
    assert voices.say("ko-KR") == {"voice": "Polly.Seoyeon-Neural", "language": "ko-KR"}
    assert voices.say("zh-TW")["language"] == "cmn-TW"


def test_a_language_twilio_speaks_in_no_voice_is_a_problem():
    _, problems = choose({}, ("zh-TW", "tlh-KL"))
    assert [key for key, _, _ in problems] == ["hotline.voices.tlh-KL"]
    assert "record every prompt" in problems[0][2]
