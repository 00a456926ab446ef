"""Issue #24 finding 8: an uploaded prompt made ffmpeg fetch URLs (an HLS playlist names them).

Real ffmpeg and ffprobe, and a real TCP listener on loopback that the playlist points at. ffmpeg
has exited when each call returns, so a connection it made is already waiting in the listener's
backlog: a non-blocking accept() that finds none proves no request was made, without any sleep.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from hotline.base import prompt_store
from hotline.console.simphone import to_phone_wav
from hotline.transcribe.audio import AudioError, pcm_chunks, probe

pytestmark = pytest.mark.slow  # runs ffmpeg and ffprobe


@pytest.fixture()
def listener() -> Iterator[socket.socket]:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    s.setblocking(False)
    yield s
    s.close()


def _nobody_came(s: socket.socket) -> bool:
    try:
        conn, _ = s.accept()
    except BlockingIOError:
        return True
    conn.close()
    return False


def _playlist(s: socket.socket) -> bytes:
    port = s.getsockname()[1]
    return (f"#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nhttp://127.0.0.1:{port}/a.ts\n"
            f"#EXTINF:10,\nhttp://127.0.0.1:{port}/b.aac\n#EXT-X-ENDLIST\n").encode()


def test_finding_8_an_hls_playlist_uploaded_as_a_prompt_is_refused_and_fetches_nothing(tmp_path, listener):
    with pytest.raises(prompt_store.PromptError, match="playlists and other formats are refused"):
        prompt_store.add_version(tmp_path, "greeting", "en-US", _playlist(listener))
    assert _nobody_came(listener)
    assert not list(tmp_path.rglob("*.wav"))


def test_finding_8_the_browser_phone_and_the_transcriber_open_no_playlist_either(tmp_path, listener):
    from hotline.base.ffmpeg_input import AudioInputError

    data = _playlist(listener)
    with pytest.raises(AudioInputError):
        to_phone_wav(data)
    path = tmp_path / "report.m3u8"
    path.write_bytes(data)
    with pytest.raises(AudioError, match="refused"):
        probe(path)
    with pytest.raises(AudioError):
        list(pcm_chunks(path, 16000))
    assert _nobody_came(listener)


def test_finding_8_a_concat_list_naming_a_local_file_is_refused(tmp_path):
    from hotline.base.ffmpeg_input import AudioInputError, decode_to_wav

    secret = tmp_path / "secret.wav"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=d=1", "-y", str(secret)], check=True)
    with pytest.raises(AudioInputError, match="refused"):
        decode_to_wav(f"ffconcat version 1.0\nfile '{secret}'\n".encode())


@pytest.mark.parametrize("suffix,args", [(".wav", []), (".mp3", []), (".ogg", ["-c:a", "libopus"]),
                                         (".webm", ["-c:a", "libopus"]), (".m4a", []), (".flac", [])])
def test_finding_8_real_audio_formats_still_make_prompts(tmp_path: Path, suffix: str, args: list[str]):
    assert shutil.which("ffmpeg")
    source = tmp_path / f"voice{suffix}"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=1.5", *args,
                    "-y", str(source)], check=True)
    wav, seconds = prompt_store.process_audio(source.read_bytes())
    assert wav[:4] == b"RIFF" and 1.0 < seconds < 2.0
