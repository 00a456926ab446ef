"""Where callers' recordings are kept: a narrow interface, so the place can change.

Every node that downloads or plays a recording must reach the same store. Today that is a
directory (`[storage] recordings_dir` / HOTLINE_RECORDINGS_DIR): on one machine a local folder,
on several a shared mount (NFS, CephFS ...) with the same path on each node. Object storage
(S3 and the like) would be another class with the same two methods: `put` uploads and returns
the location written into `Recording.path`; `local_path` gives a reader a file it can open
(for object storage, a cached download).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from hotline.base.config import Config
from hotline.base.private_files import private_dir


class RecordingStore(Protocol):
    def put(self, name: str, data: bytes) -> str:
        """Keep `data` under `name` ("2026/05/1001-RE....wav"); returns its location. Atomic: a
        reader never sees half a file, and a second put of the same name replaces it whole."""
        ...

    def local_path(self, location: str) -> Path:
        """A file with the recording's bytes, for ffmpeg, Vosk and send_file."""
        ...


@dataclass(frozen=True)
class DirectoryStore:
    root: Path

    def put(self, name: str, data: bytes) -> str:
        path = self.root / name
        private_dir(path.parent)  # callers' voices: this user only
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".part")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        return str(path)

    def local_path(self, location: str) -> Path:
        """Locations are absolute; older rows may be relative to the recordings directory."""
        p = Path(location)
        if p.is_absolute():
            return p
        under = self.root / p
        return under if under.exists() or not p.exists() else p.resolve()


def recording_store(cfg: Config) -> RecordingStore:
    return DirectoryStore(cfg.recordings_dir)
