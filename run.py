#!/usr/bin/env python3
"""Start the hotline, or one of its pieces. `python3 run.py help` lists the commands.

Works on a fresh machine: before anything else it makes `.venv/`, installs what is missing
(Python packages from pyproject.toml; ffmpeg and espeak-ng from apt when root) and re-runs
itself inside the virtual environment. Only the standard library is used until then.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
APT_NEEDS = {"ffmpeg": "ffmpeg", "espeak-ng": "espeak-ng"}


def _venv_python() -> Path:
    return VENV / "bin" / "python"


def bootstrap(extras: str) -> None:
    """Make sure we run inside .venv with the project installed; re-exec if not."""
    _apt_install_missing()
    py = _venv_python()
    if not py.exists():
        print("run.py: creating .venv", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    spec = (ROOT / "pyproject.toml").read_bytes() + extras.encode()
    stamp = VENV / f".installed-{extras or 'base'}"
    digest = hashlib.sha256(spec).hexdigest()
    if not stamp.exists() or stamp.read_text() != digest:
        print(f"run.py: installing Python packages ({extras or 'base'})", flush=True)
        target = f".[{extras}]" if extras else "."
        subprocess.run([str(py), "-m", "pip", "install", "-q", "--upgrade", "pip"], check=False)
        if subprocess.run([str(py), "-m", "pip", "install", "-q", "-e", target], cwd=ROOT).returncode != 0:
            fail(f"run.py: installing the Python packages failed (pip's message is above); fix that and run "
                 f"this again, or remove {VENV} to start afresh")
        stamp.write_text(digest)
    if Path(sys.prefix).resolve() != VENV.resolve():
        os.execv(str(py), [str(py), str(Path(__file__).resolve()), *sys.argv[1:]])


def _apt_install_missing() -> None:
    missing = [pkg for binary, pkg in APT_NEEDS.items() if shutil.which(binary) is None]
    if not missing:
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        print(f"run.py: please install {' '.join(missing)} (audio conversion needs them)", file=sys.stderr)
        return
    print(f"run.py: apt-get install {' '.join(missing)}", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=False, env=env, capture_output=True)
    done = subprocess.run(["apt-get", "install", "-y", "-qq", *missing], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        fail(apt_failure(done.stderr, missing))


def apt_failure(stderr: str, missing: list[str]) -> str:
    """One line for a failed apt-get install: the cause when we recognise it, and the fix."""
    packages = " ".join(missing)
    if "lock" in stderr.lower():
        return (f"run.py: apt-get could not install {packages}: another apt or dpkg process holds its lock "
                "(an update running in the background?); wait for it to finish and run this again")
    last = next((line.strip() for line in reversed(stderr.splitlines()) if line.strip()), "no message")
    return f"run.py: apt-get install {packages} failed ({last}); install them yourself and run this again"


def fail(message: str) -> None:
    """Start-up problems end in one line and exit code 2, never a traceback."""
    print(message, file=sys.stderr)
    raise SystemExit(2)


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "all"
    bootstrap("test" if command in ("test", "lint", "bench") else "")  # the benches use the test model and harness
    from hotline.service.cli import dispatch

    return dispatch(command, argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
