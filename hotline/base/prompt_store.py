"""Recorded greeting prompts: every version kept, one published per (prompt, language).

Layout under `recordings/prompts/<name>/<lang>/`:
  v0001.wav, v0002.wav ...   every version, processed (trimmed, loudness-normalised, 8 kHz mono)
  published.wav              a copy of the published version; the flow plays this one
  published.json             {"version": 2, "history": [1, 2]} so rollback knows what came before

Audio is converted to 8 kHz mono 16-bit WAV: the telephone network's own rate, so Twilio plays
it without resampling and the file stays small.
"""

from __future__ import annotations

import io
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydub import AudioSegment
from pydub.silence import detect_leading_silence

from hotline.base.ffmpeg_input import AudioInputError, decode_to_wav
from hotline.base.prompts import prompts_dir, published_prompt

NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,40}$")
LANG_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
TARGET_DBFS = -16.0
SILENCE_DBFS = -45.0


class PromptError(ValueError):
    """A clear, user-facing reason why a prompt could not be stored or changed."""


@dataclass(frozen=True)
class PromptState:
    name: str
    lang: str
    versions: tuple[int, ...]
    published: int | None

    @property
    def recorded(self) -> bool:
        return self.published is not None


def prompt_folder(recordings_dir: Path, name: str, lang: str) -> Path:
    if not NAME_RE.match(name) or not LANG_RE.match(lang):
        raise PromptError(f"bad prompt name or language: {name!r} {lang!r}")
    return prompts_dir(recordings_dir) / name / lang


def process_audio(data: bytes) -> tuple[bytes, float]:
    """An audio file (ffmpeg_input.INPUT_FORMATS) -> trimmed, normalised 8 kHz mono 16-bit WAV;
    returns (wav, seconds)."""
    try:  # ffmpeg opens the upload alone, as audio (a playlist would make it fetch URLs): ffmpeg_input.py
        seg = AudioSegment.from_wav(io.BytesIO(decode_to_wav(data)))
    except AudioInputError as exc:
        raise PromptError(f"could not read the audio: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - pydub raises several kinds for undecodable input
        raise PromptError(f"could not read the audio: {str(exc).splitlines()[0] if str(exc) else exc}") from None
    seg = seg.set_channels(1)
    start = detect_leading_silence(seg, silence_threshold=SILENCE_DBFS)
    end = len(seg) - detect_leading_silence(seg.reverse(), silence_threshold=SILENCE_DBFS)
    trimmed = seg[max(0, start - 100): min(len(seg), end + 150)] if end > start else seg[:0]
    if len(trimmed) < 300:
        raise PromptError("the recording is silent or shorter than 0.3 s")
    if trimmed.max_dBFS > -float("inf"):
        trimmed = trimmed.apply_gain(TARGET_DBFS - trimmed.dBFS)
        if trimmed.max_dBFS > -1.0:  # keep peaks below clipping
            trimmed = trimmed.apply_gain(-1.0 - trimmed.max_dBFS)
    out = trimmed.set_frame_rate(8000).set_sample_width(2)
    buf = io.BytesIO()
    out.export(buf, format="wav")
    return buf.getvalue(), len(out) / 1000.0


def state(recordings_dir: Path, name: str, lang: str) -> PromptState:
    folder = prompt_folder(recordings_dir, name, lang)
    versions = tuple(sorted(int(p.stem[1:]) for p in folder.glob("v[0-9][0-9][0-9][0-9].wav")))
    meta = _meta(folder)
    published = meta.get("version") if published_prompt(recordings_dir, name, lang) else None
    return PromptState(name, lang, versions, published)


def add_version(recordings_dir: Path, name: str, lang: str, data: bytes) -> int:
    """Store a new processed version (not yet published); returns its number."""
    wav, _seconds = process_audio(data)
    folder = prompt_folder(recordings_dir, name, lang)
    folder.mkdir(parents=True, exist_ok=True)
    current = state(recordings_dir, name, lang).versions
    number = (current[-1] if current else 0) + 1
    _write(folder / f"v{number:04d}.wav", wav)
    return number


def publish(recordings_dir: Path, name: str, lang: str, version: int) -> None:
    folder = prompt_folder(recordings_dir, name, lang)
    source = folder / f"v{version:04d}.wav"
    if not source.is_file():
        raise PromptError(f"{name} {lang} has no version {version}")
    meta = _meta(folder)
    history = [v for v in meta.get("history", []) if v != version] + [version]
    _write(folder / "published.wav", source.read_bytes())
    _write(folder / "published.json", json.dumps({"version": version, "history": history}).encode())


def rollback(recordings_dir: Path, name: str, lang: str) -> int | None:
    """Bring back the previously published version; None means back to text-to-speech."""
    folder = prompt_folder(recordings_dir, name, lang)
    history = _meta(folder).get("history", [])
    if not history:
        raise PromptError(f"{name} {lang} has nothing published to roll back")
    history = history[:-1]
    if history:
        publish(recordings_dir, name, lang, history[-1])
        _write(folder / "published.json", json.dumps({"version": history[-1], "history": history}).encode())
        return int(history[-1])
    (folder / "published.wav").unlink(missing_ok=True)
    _write(folder / "published.json", json.dumps({"version": None, "history": []}).encode())
    return None


def _meta(folder: Path) -> dict[str, Any]:
    try:
        meta: dict[str, Any] = json.loads((folder / "published.json").read_text())
        return meta
    except (FileNotFoundError, ValueError):
        return {}


def _write(path: Path, data: bytes) -> None:
    """Atomic: a caller mid-<Play> never fetches half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".part")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
