"""Files that hold callers' data or secrets are readable by this user only.

The database, PIN hashes, console keys and recordings are created 0600 inside folders made 0700,
whatever the umask of the shell that started run.py: another account on the host must not read
who called, what they said, or the session key.
"""

from __future__ import annotations

import os
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600
UMASK = 0o077  # for files other code creates (SQLite's -wal/-shm, Redis dumps, recordings)


def private_dir(path: Path) -> Path:
    """Create `path` and any missing parents 0700 (mkdir's `mode` skips parents); tighten `path`
    itself if it exists and is ours."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=DIR_MODE, exist_ok=True)
        folder.chmod(DIR_MODE)  # mkdir's mode is filtered by the umask
    if path.stat().st_uid == os.getuid():
        path.chmod(DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """Create an empty `path` 0600 if it is missing (no window where it is world-readable);
    tighten an existing one."""
    private_dir(path.parent)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileExistsError:
        if path.stat().st_uid == os.getuid():
            path.chmod(FILE_MODE)
    return path


def write_private(path: Path, text: str) -> None:
    """Replace `path` with `text`, readable by this user only from its first byte."""
    private_dir(path.parent)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def restrict_umask() -> None:
    """Processes started by run.py create nothing group- or world-readable."""
    os.umask(UMASK)
