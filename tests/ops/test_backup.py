"""`run.py backup DIR` and `run.py restore DIR` round trip: a real hotline takes real reports (sim
calls, recordings fetched by a real worker), is backed up while running, and restored into a
fresh data dir where every incident, recording file and audit row is found again.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from hotline.base import prompt_store
from hotline.base.config import ROOT, load_config
from hotline.base.db import Database
from hotline.base.models import AuditEvent, Incident, Recording
from hotline.base.pins import set_pin
from hotline.base.states import RecordingStatus
from hotline.service.backup import sha256
from hotline.service.embedded_redis import start_embedded_redis
from tests.support import e2e
from tests.support.postgres import database_for


def run_py(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "run.py"), *args], env={**os.environ, **env}, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def snapshot(url: str) -> dict[str, object]:
    db = Database(url)
    try:
        with db.session() as s:
            return {"incidents": sorted((i.id, i.ref, i.caller, i.status) for i in s.scalars(select(Incident))),
                    "recordings": sorted((r.id, r.sha256, Path(r.path).name if r.path else None)
                                         for r in s.scalars(select(Recording))),
                    "audit": sorted((a.id, a.kind, a.incident_id) for a in s.scalars(select(AuditEvent)))}
    finally:
        db.engine.dispose()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_backup_then_restore_into_a_fresh_data_dir(kind: str, tmp_path: Path, speech_wav: Path) -> None:
    url, drop = database_for(kind)
    drops: list[Callable[[], None]] = [drop] if drop else []
    redis = start_embedded_redis(tmp_path / "redis", persist=False)
    (tmp_path / "old").mkdir()
    h = e2e.make_hotline(tmp_path / "old", redis.url, url)
    try:
        incidents = [e2e.report(h, "12", caller=f"+88691234567{n}", wav=speech_wav) for n in range(2)]
        for inc in incidents:
            h.wait_for(lambda i=inc: any(r.status == RecordingStatus.STORED for r in h.recordings(i.id)),
                       timeout=60, what="recording stored")
        version = prompt_store.add_version(h.config.recordings_dir, "greeting", "zh-TW", speech_wav.read_bytes())
        prompt_store.publish(h.config.recordings_dir, "greeting", "zh-TW", version)
        set_pin(h.config.data_dir, "admin", "482913")
        old_db_url = h.config.database_url
        before = snapshot(old_db_url)
        old_files = {p.relative_to(h.config.recordings_dir) for p in h.config.recordings_dir.rglob("*") if p.is_file()}

        backup_dir = tmp_path / "backup"
        done = run_py(h.env, "backup", str(backup_dir))  # while the hotline runs
        assert done.returncode == 0, done.stderr
        print(done.stdout.strip())
        manifest = json.loads((backup_dir / "manifest.json").read_text())
        assert manifest["database"]["kind"] == kind and manifest["counts"]["incidents"] == len(before["incidents"])
        assert {Path(f).parts[0] for f in manifest["files"]} >= {"database", "recordings", "data"}
    finally:
        h.close()
        redis.stop()
    if kind == "postgresql":  # the old database is gone: the dump must bring it all back
        drops.pop()()
        new_env = {**h.env, "DATABASE_URL": url}
    else:
        new_env = {**h.env, "DATABASE_URL": ""}
    new_env.update(HOTLINE_DATA_DIR=str(tmp_path / "new" / "data"),
                   HOTLINE_RECORDINGS_DIR=str(tmp_path / "new" / "rec"))
    try:
        done = run_py(new_env, "restore", str(backup_dir))
        assert done.returncode == 0, done.stderr
        print(done.stdout.strip())
        cfg = load_config(new_env["HOTLINE_CONFIG"], env=new_env)
        after = snapshot(cfg.database_url)
        assert after == before  # every incident, recording row and audit row
        db = Database(cfg.database_url)
        with db.session() as s:
            for rec in s.scalars(select(Recording).where(Recording.status == RecordingStatus.STORED)):
                path = Path(rec.path or "")
                assert path.is_relative_to(cfg.recordings_dir) and sha256(path) == rec.sha256  # the very file
        db.engine.dispose()
        new_files = {p.relative_to(cfg.recordings_dir) for p in cfg.recordings_dir.rglob("*") if p.is_file()}
        assert new_files == old_files and any(p.parts[0] == "prompts" for p in new_files)
        assert (cfg.data_dir / "pins.json").is_file()

        # Bad input: the data dir now holds a hotline; restoring again needs --overwrite.
        refused = run_py(new_env, "restore", str(backup_dir))
        assert refused.returncode == 2 and "--overwrite" in refused.stderr
        assert "already holds a hotline" in refused.stderr
        assert run_py(new_env, "restore", str(backup_dir), "--overwrite").returncode == 0
        assert snapshot(cfg.database_url) == before

        # A damaged backup is refused before anything is written.
        some_recording = next(f for f in manifest["files"] if f.startswith("recordings/") and f.endswith(".wav"))
        with (backup_dir / some_recording).open("r+b") as f:
            f.seek(100)
            f.write(b"\x00\x01\x02")
        third = {**new_env, "HOTLINE_DATA_DIR": str(tmp_path / "third" / "data"),
                 "HOTLINE_RECORDINGS_DIR": str(tmp_path / "third" / "rec")}
        damaged = run_py(third, "restore", str(backup_dir))
        assert damaged.returncode == 2 and f"{some_recording}: checksum differs" in damaged.stderr
        assert not (tmp_path / "third" / "rec").exists()
        assert not (tmp_path / "third" / "data" / "hotline.db").exists()
    finally:
        for d in drops:
            d()
        if drop:
            drop()


@pytest.mark.slow  # starts run.py as a process
def test_backup_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "something").write_text("x")
    env = {"HOTLINE_DATA_DIR": str(tmp_path / "data"), "HOTLINE_RECORDINGS_DIR": str(tmp_path / "rec"),
           "DATABASE_URL": ""}
    done = run_py(env, "backup", str(tmp_path / "b"))
    assert done.returncode == 2 and "not empty" in done.stderr
