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
    """Make sure we run inside .venv with the project installed; re-exec if not. What it says goes
    to stderr: a command's own output (a key shown once, a CSV) must not start with "installing"."""
    _apt_install_missing()
    py = _venv_python()
    if not py.exists():
        print("run.py: creating .venv", file=sys.stderr, flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp, digest = _stamp(extras)
    # The test extra holds the base packages too: after `run.py test`, `run.py integrations ...`
    # (which a test may start) needs no install of its own.
    if not _installed(extras) and not (extras == "" and _installed("test")):
        target = f".[{extras}]" if extras else "."
        if subprocess.run([*_installer(py, extras), "-e", target], cwd=ROOT, stdout=sys.stderr).returncode != 0:
            fail(f"run.py: installing the Python packages failed (pip's message is above); fix that and run "
                 f"this again, or remove {VENV} to start afresh")
        stamp.write_text(digest)
    if Path(sys.prefix).resolve() != VENV.resolve():
        os.execv(str(py), [str(py), str(Path(__file__).resolve()), *sys.argv[1:]])


def _installer(py: Path, extras: str) -> list[str]:
    """`uv pip install` when uv is on the PATH (HOTLINE_INSTALLER=pip: never), else pip. uv resolves
    and installs in parallel from its own cache: a fresh checkout's install, most of its start, took
    a fraction of pip's time here (README, "Start-up"). pip is not upgraded first: the venv's own pip
    installs this project, and upgrading it cost a download and seconds on every fresh checkout."""
    uv = shutil.which("uv") if os.environ.get("HOTLINE_INSTALLER", "") != "pip" else None
    name = "uv" if uv else "pip"
    print(f"run.py: installing Python packages ({extras or 'base'}) with {name}", file=sys.stderr, flush=True)
    if uv:
        return [uv, "pip", "install", "-q", "--python", str(py)]
    return [str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check"]


def _stamp(extras: str) -> tuple[Path, str]:
    """Where the install of `extras` is recorded, and the digest of what it installed from."""
    spec = (ROOT / "pyproject.toml").read_bytes() + extras.encode()
    return VENV / f".installed-{extras or 'base'}", hashlib.sha256(spec).hexdigest()


def _installed(extras: str) -> bool:
    stamp, digest = _stamp(extras)
    return stamp.exists() and stamp.read_text() == digest


def _apt_install_missing() -> None:
    missing = [pkg for binary, pkg in APT_NEEDS.items() if shutil.which(binary) is None]
    if not missing:
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        print(f"run.py: please install {' '.join(missing)} (audio conversion needs them)", file=sys.stderr)
        return
    print(f"run.py: apt-get install {' '.join(missing)}", file=sys.stderr, flush=True)
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
