"""How every ffmpeg and ffprobe of the hotline opens an input it did not write itself.

ffmpeg reads far more than audio: an HLS playlist (`.m3u8`), a concat list or an SDP file names
other URLs, which it then fetches: an uploaded "prompt" made the server request an arbitrary
address (issue #24, finding 8). So an input is opened only
- through the `file` protocol, and only by its `file:` name (no `http:`, `tcp:`, `concat:` ...,
  and a file name with a colon is not read as a protocol), and
- by one of the audio demuxers below: playlist and list formats (hls, concat, sdp, ...) are
  refused before they are parsed, so the one file uploaded is the only one opened.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from pydub import AudioSegment
from pydub.utils import get_prober_name

# ffmpeg's demuxer names (`ffmpeg -demuxers`); a format with several names ("mov,mp4,m4a,3gp,3g2,mj2",
# "matroska,webm") passes when one of them is listed.
INPUT_FORMATS = ("wav", "w64", "mp3", "ogg", "matroska", "webm", "mov", "mp4", "m4a", "3gp", "3g2", "flac", "aac",
                 "aiff", "amr", "amrnb", "amrwb", "au", "caf")
ACCEPTED = "WAV, MP3, OGG/Opus, WebM, MP4/M4A, FLAC, AAC, AIFF, AMR"
SAFE_INPUT = ("-protocol_whitelist", "file", "-format_whitelist", ",".join(INPUT_FORMATS))


class AudioInputError(ValueError):
    """The input cannot be read as audio, or is not a format the hotline opens; says which."""


def input_args(path: Path) -> list[str]:
    """The input options and `-i` for `path` (goes before the output options)."""
    return [*SAFE_INPUT, "-i", f"file:{path}"]


def probe_args(path: Path) -> list[str]:
    """The same restrictions for ffprobe, which takes the input last and without `-i`."""
    return [*SAFE_INPUT, f"file:{path}"]


def ffprobe() -> str:
    return str(get_prober_name())


def reason(stderr: str) -> str:
    """A sentence for a person from ffmpeg's error output."""
    if "not on whitelist" in stderr:
        return f"not an audio file the hotline reads ({ACCEPTED}); playlists and other formats are refused"
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    return lines[-1][:200] if lines else "ffmpeg could not read it"


def decode_to_wav(data: bytes) -> bytes:
    """Any accepted audio file -> 16-bit PCM WAV at its own rate and channels (first audio stream)."""
    with tempfile.TemporaryDirectory(prefix="hotline-audio-") as folder:  # 0700
        source, target = Path(folder) / "input", Path(folder) / "output.wav"
        source.write_bytes(data)
        args = [str(AudioSegment.converter), "-nostdin", "-hide_banner", "-v", "error", *input_args(source),
                "-map", "0:a:0", "-vn", "-acodec", "pcm_s16le", "-f", "wav", "-y", f"file:{target}"]
        done = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, timeout=300)
        if done.returncode != 0 or not target.exists():
            raise AudioInputError(reason(done.stderr.decode(errors="replace")))
        return target.read_bytes()
