"""Make test audio the way a phone line would deliver it: espeak-ng Korean, then 8 kHz mu-law.

Shared by the tests and bench/transcribe.py so both measure the same kind of input.
"""

from __future__ import annotations

import subprocess
import tempfile
import wave
from pathlib import Path

PHONE = ["-ar", "8000", "-ac", "1", "-c:a", "pcm_mulaw"]  # Twilio-style recording

SENTENCES = [
    "안녕하세요 불이 났어요 빨리 와 주세요",
    "여기 사람이 다쳤어요 도와주세요",
    "지금 건물 안에 연기가 많아요",
    "저는 괜찮아요 하지만 아이가 아파요",
]


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *args], check=True)


def say(text: str, out: Path, ffmpeg_out: list[str] | None = None, speed: int = 150) -> Path:
    """Speak Korean `text` with espeak-ng and encode it (default: 8 kHz mu-law WAV)."""
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "tts.wav"
        subprocess.run(["espeak-ng", "-v", "ko", "-s", str(speed), "-w", str(raw), text], check=True)
        _ffmpeg("-i", str(raw), *(PHONE if ffmpeg_out is None else ffmpeg_out), str(out))
    return out


def speech_of_length(seconds: float, out: Path) -> Path:
    """About `seconds` of continuous Korean speech on a phone line (sentences repeated, then trimmed)."""
    with tempfile.TemporaryDirectory() as tmp:
        one = say(" ".join(SENTENCES), Path(tmp) / "one.wav", ["-ar", "16000", "-ac", "1"])
        _ffmpeg("-stream_loop", "-1", "-i", str(one), "-t", f"{seconds}", *PHONE, str(out))
    return out


def silence(seconds: float, out: Path) -> Path:
    _ffmpeg("-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono", "-t", f"{seconds}", *PHONE, str(out))
    return out


def zero_length_wav(out: Path) -> Path:
    """A valid WAV header with no samples: a call that hung up at the beep."""
    with wave.open(str(out), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"")
    return out


def corrupt(out: Path) -> Path:
    """A WAV-looking header followed by noise bytes: what a broken upload looks like."""
    out.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(range(256)) * 8)
    return out
