"""Fetch one pinned file over HTTP(S): a progress bar, resumable, and refused unless its size and
sha256 are the pinned ones.

The bytes go to `NAME.part` beside the target. A dropped connection keeps the part: the next
attempt (a few in one run, then the next run of the same command) asks for the rest with an
HTTP Range request, so a 40 MB model on a poor link is not fetched again from the start. A file
whose checksum is wrong is removed, never renamed into place: a corrupt or substituted model
must not be installed, and must not be resumed from either.
"""

from __future__ import annotations

import hashlib
import sys
import time
from pathlib import Path
from typing import TextIO

import requests
from tqdm import tqdm
from urllib3.exceptions import HTTPError as TransportError

ATTEMPTS = 5
CHUNK = 1 << 16


class DownloadError(Exception):
    """The file could not be fetched (or was wrong); the message says what to do."""


def fetch(url: str, target: Path, size: int, sha256: str, progress: TextIO | None = None,
          attempts: int = ATTEMPTS) -> Path:
    """`target`, holding exactly the pinned bytes; DownloadError otherwise."""
    part = target.with_name(target.name + ".part")
    target.parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, attempts + 1):
        try:
            _continue(url, part, size, progress or sys.stderr)
            problem = None
        except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
                TransportError, OSError) as exc:
            problem = str(exc)
        have = part.stat().st_size if part.exists() else 0
        if problem is None and have >= size:
            break
        if attempt == attempts:
            raise DownloadError(f"the download from {url} broke off at {have} of {size} bytes "
                                f"({problem or 'the server closed the connection'}); {part.name} is kept: "
                                "run the same command again to resume")
        time.sleep(min(attempt, 3) * 0.2)
    return _verified(part, target, size, sha256)


def _continue(url: str, part: Path, size: int, progress: TextIO) -> None:
    have = part.stat().st_size if part.exists() else 0
    if have > size:  # not the pinned file: start again
        part.unlink()
        have = 0
    if have == size:
        return
    headers = {"Range": f"bytes={have}-"} if have else {}
    with requests.get(url, headers=headers, stream=True, timeout=(15, 60)) as r:
        if r.status_code == 416 and have:  # nothing more to send: the part is whole (or wrong)
            return
        if r.status_code not in (200, 206):
            raise DownloadError(f"{url} answered HTTP {r.status_code}; check the address, or fetch the zip "
                                "elsewhere and run `python3 run.py models install PATH.zip`")
        if r.status_code == 200:  # the server ignored the Range: everything again
            have = 0
        with open(part, "ab" if have else "wb") as out, \
                tqdm(total=size, initial=have, unit="B", unit_scale=True, unit_divisor=1024, file=progress,
                     desc=part.name.removesuffix(".part"), mininterval=0.5) as bar:
            # read1: whatever has arrived, so a connection that breaks keeps every byte it delivered
            for chunk in iter(lambda: r.raw.read1(CHUNK), b""):
                out.write(chunk)
                bar.update(len(chunk))


def _verified(part: Path, target: Path, size: int, sha256: str) -> Path:
    got = part.stat().st_size
    digest = hashlib.sha256()
    with open(part, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    if got != size or digest.hexdigest() != sha256.lower():
        part.unlink()
        raise DownloadError(f"refused: the download is {got} bytes with sha256 {digest.hexdigest()}, but the "
                            f"pinned file is {size} bytes with sha256 {sha256}; the partial file {part} was "
                            "removed. Try again later, or fetch the zip on another machine and check it")
    part.replace(target)
    return target
