"""Turn any caller recording into 16-bit mono PCM at the model's rate, a chunk at a time.

Phone audio arrives as 8 kHz mu-law WAV, MP3, stereo uploads ... Vosk's models want the rate
they were trained on (16 kHz for the small ones) and will not upsample telephone audio, so
ffmpeg resamples explicitly. Decoding streams through a pipe so a one-hour upload needs no
more memory than a ten-second one. pydub is used to locate ffmpeg and ffprobe; both open an
input only as a file of an audio format (hotline/base/ffmpeg_input.py).
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pydub import AudioSegment

from hotline.base.ffmpeg_input import ffprobe, input_args, probe_args, reason

BYTES_PER_SAMPLE = 2  # s16le


class AudioError(Exception):
    """The file cannot be read as audio: missing, empty, corrupt. Permanent, never retried."""


@dataclass(frozen=True)
class AudioInfo:
    format: str | None
    codec: str | None
    sample_rate: int | None
    channels: int | None
    duration: float | None


def check_readable(path: Path) -> None:
    """Fail fast, with a reason a person understands, before starting a decoder."""
    if not path.exists():
        raise AudioError(f"file not found: {path}")
    if not path.is_file():
        raise AudioError(f"not a file: {path}")
    if path.stat().st_size == 0:
        raise AudioError(f"file is empty (0 bytes): {path}")


def probe(path: Path) -> AudioInfo:
    """Container, codec, rate, channels and duration, via ffprobe."""
    check_readable(path)
    args = [ffprobe(), "-v", "error", "-of", "json", "-show_format", "-show_streams", *probe_args(path)]
    try:
        done = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, timeout=120)
        info = json.loads(done.stdout or b"{}") if done.returncode == 0 else None
    except (OSError, ValueError, subprocess.TimeoutExpired) as exc:
        raise AudioError(f"cannot probe audio: {exc}") from exc
    if info is None:
        raise AudioError(f"cannot probe audio: {reason(done.stderr.decode(errors='replace'))}")
    streams = [s for s in info.get("streams", []) if s.get("codec_type") == "audio"]
    if not streams:
        raise AudioError(f"no audio stream in {path.name}")
    s = streams[0]
    duration = s.get("duration") or info.get("format", {}).get("duration")
    return AudioInfo(
        format=info.get("format", {}).get("format_name"), codec=s.get("codec_name"),
        sample_rate=int(s["sample_rate"]) if s.get("sample_rate") else None,
        channels=s.get("channels"), duration=float(duration) if duration not in (None, "N/A") else None,
    )


def pcm_chunks(path: Path, sample_rate: int, chunk_seconds: float = 0.5) -> Iterator[bytes]:
    """Yield s16le mono PCM at `sample_rate`, `chunk_seconds` at a time; raise AudioError if undecodable.

    ffmpeg's stderr goes to a temporary file, not a pipe, so a corrupt file that makes it
    print thousands of warnings can never fill a pipe and deadlock the decode.
    """
    check_readable(path)
    chunk_bytes = max(int(sample_rate * chunk_seconds), 1) * BYTES_PER_SAMPLE
    args = [AudioSegment.converter, "-nostdin", "-hide_banner", "-v", "error", *input_args(path),
            "-map", "0:a:0", "-vn", "-ac", "1", "-ar", str(sample_rate),
            "-f", "s16le", "-acodec", "pcm_s16le", "-"]
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err)
        assert proc.stdout is not None
        try:
            pending = b""
            while block := proc.stdout.read(chunk_bytes):
                pending += block
                if len(pending) >= chunk_bytes:
                    cut = len(pending) - len(pending) % BYTES_PER_SAMPLE
                    yield pending[:cut]
                    pending = pending[cut:]
            if len(pending) >= BYTES_PER_SAMPLE:
                yield pending[: len(pending) - len(pending) % BYTES_PER_SAMPLE]
            code = proc.wait()
        finally:
            if proc.poll() is None:  # the consumer stopped early (timeout, error): do not leak ffmpeg
                proc.kill()
                proc.wait()
            proc.stdout.close()
        if code != 0:
            err.seek(0)
            message = err.read().decode(errors="replace").strip().splitlines()
            last = message[-1] if message else f"ffmpeg exit {code}"
            raise AudioError(f"cannot decode audio ({path.name}): {last}")
