"""Audio helpers: normalise to Twilio's recording format, measure, concatenate, transcode.

Twilio recordings are 8 kHz mono 16-bit PCM WAV; MP3 is produced on request. Decoding of
arbitrary input (mp3, 44.1 kHz wav...) goes through pydub/ffmpeg; the common case of a
plain PCM WAV is handled with the standard library so hundreds of calls stay cheap.
"""

from __future__ import annotations

import io
import math
import re
import struct
import warnings
import wave
from typing import Any

RATE = 8000
WIDTH = 2
CHANNELS = 1

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


def _segment() -> Any:
    """pydub's AudioSegment (ffmpeg-backed), imported lazily and without its audioop warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from pydub import AudioSegment
    return AudioSegment


def say_duration(text: str) -> float:
    """Estimated speaking time: ~4 chars/s for CJK, ~2.5 words/s for other text."""
    cjk = len(_CJK.findall(text))
    words = len([w for w in _CJK.sub(" ", text).split() if any(ch.isalnum() for ch in w)])
    return round(cjk / 4.0 + words / 2.5, 2)


def normalize(data: bytes) -> bytes:
    """Any audio file -> 8 kHz mono 16-bit WAV bytes."""
    pcm = _pcm_fast(data)
    if pcm is not None:
        return pcm_to_wav(pcm)
    seg = _segment().from_file(io.BytesIO(data))
    seg = seg.set_frame_rate(RATE).set_channels(CHANNELS).set_sample_width(WIDTH)
    return pcm_to_wav(seg.raw_data)


def _pcm_fast(data: bytes) -> bytes | None:
    """PCM frames if `data` is already an 8 kHz mono 16-bit WAV, else None."""
    try:
        with wave.open(io.BytesIO(data)) as w:
            if (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (RATE, CHANNELS, WIDTH):
                return w.readframes(w.getnframes())
    except (wave.Error, EOFError):
        return None
    return None


def pcm_to_wav(pcm: bytes) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(CHANNELS)
        w.setsampwidth(WIDTH)
        w.setframerate(RATE)
        w.writeframes(pcm)
    return buf.getvalue()


def wav_pcm(wav_bytes: bytes) -> bytes:
    with wave.open(io.BytesIO(wav_bytes)) as w:
        return w.readframes(w.getnframes())


def duration(data: bytes) -> float:
    """Length in seconds of any audio file (0.0 if it cannot be decoded)."""
    try:
        with wave.open(io.BytesIO(data)) as w:
            return w.getnframes() / float(w.getframerate())
    except (wave.Error, EOFError):
        pass
    try:
        return len(_segment().from_file(io.BytesIO(data))) / 1000.0
    except Exception:  # noqa: BLE001 - undecodable media is reported as zero-length, like a failed <Play>
        return 0.0


def silence_pcm(seconds: float) -> bytes:
    return b"\x00\x00" * int(max(0.0, seconds) * RATE)


def concat(wavs: list[bytes], trailing_silence: float = 0.0, max_seconds: float | None = None) -> bytes:
    """Join normalised WAVs, optionally pad with silence and cut to a maximum length."""
    pcm = b"".join(wav_pcm(w) for w in wavs) + silence_pcm(trailing_silence)
    if max_seconds is not None:
        pcm = pcm[: int(max_seconds * RATE) * WIDTH]
    return pcm_to_wav(pcm)


def beep_pcm(seconds: float = 0.25, freq: float = 1000.0) -> bytes:
    frames = int(seconds * RATE)
    return b"".join(
        struct.pack("<h", int(12000 * math.sin(2 * math.pi * freq * i / RATE))) for i in range(frames)
    )


def to_mp3(wav_bytes: bytes) -> bytes:
    out = io.BytesIO()
    _segment().from_wav(io.BytesIO(wav_bytes)).export(out, format="mp3")
    return out.getvalue()
