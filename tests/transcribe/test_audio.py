"""Every input format becomes 16-bit mono PCM at the model's rate, streamed in bounded chunks."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.transcribe.audio import AudioError, pcm_chunks, probe
from sim import speech


@pytest.mark.slow  # runs espeak-ng and ffmpeg
@pytest.mark.parametrize(("name", "ffmpeg_out"), [
    ("phone.wav", speech.PHONE),
    ("upload.mp3", ["-ar", "22050", "-ac", "1", "-c:a", "libmp3lame"]),
    ("stereo.wav", ["-ar", "44100", "-ac", "2"]),
    ("alaw.wav", ["-ar", "8000", "-ac", "1", "-c:a", "pcm_alaw"]),
])
def test_formats_resampled_to_16k_mono_in_bounded_chunks(tmp_path: Path, name: str,
                                                         ffmpeg_out: list[str]) -> None:
    path = speech.say("안녕하세요", tmp_path / name, ffmpeg_out)
    duration = probe(path).duration
    assert duration
    chunks = list(pcm_chunks(path, 16000, chunk_seconds=0.25))
    chunk_bytes = 16000 // 4 * 2
    assert all(len(c) % 2 == 0 and 0 < len(c) <= chunk_bytes for c in chunks)
    assert all(len(c) == chunk_bytes for c in chunks[:-1])
    seconds = sum(len(c) for c in chunks) / 2 / 16000
    assert seconds == pytest.approx(duration, abs=0.06)  # mp3 priming/padding only


def test_phone_recording_is_8k_mulaw_before_normalising(audio: dict[str, Path]) -> None:
    info = probe(audio["speech"])
    assert (info.codec, info.sample_rate, info.channels) == ("pcm_mulaw", 8000, 1)


@pytest.mark.parametrize(("key", "words"), [("corrupt", "cannot decode"), ("empty_file", "0 bytes")])
def test_unreadable_files_raise_audio_error_with_reason(audio: dict[str, Path], key: str, words: str) -> None:
    with pytest.raises(AudioError, match=words):
        list(pcm_chunks(audio[key], 16000))


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="not found"):
        list(pcm_chunks(tmp_path / "gone.wav", 16000))


def test_zero_length_wav_yields_no_samples(audio: dict[str, Path]) -> None:
    assert list(pcm_chunks(audio["zero"], 16000)) == []


def test_abandoning_the_stream_stops_ffmpeg(audio: dict[str, Path]) -> None:
    """A job that times out mid-file must not leave a decoder process behind."""
    import psutil

    stream = pcm_chunks(audio["speech"], 16000, chunk_seconds=0.05)
    next(stream)
    children = psutil.Process().children()
    assert any("ffmpeg" in c.name() for c in children)
    stream.close()
    assert not [c for c in psutil.Process().children() if "ffmpeg" in c.name() and c.is_running()
                and c.status() != psutil.STATUS_ZOMBIE]
