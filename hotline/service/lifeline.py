"""`python -m hotline.service.lifeline PPID -- COMMAND...`: runs one child of the supervisor so
that nothing it starts can outlive the supervisor, even after `kill -9` of `run.py`.

Why a wrapper: PR_SET_PDEATHSIG applies to one process only and is cleared on fork, and the
real children fork their own (gunicorn workers, RQ work horses that call setpgrp, RQ's
scheduler). So this small process
- asks the kernel for SIGTERM when the supervisor dies (and checks it has not died already),
- becomes a child subreaper, so orphaned descendants are re-parented to it, not to init,
- on SIGTERM, or when the command exits, terminates every descendant it has, then exits
  with the command's status (the supervisor decides about restarts).
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys

import psutil

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
# What a stopping child gets before SIGKILL: the web's graceful stop (supervisor.GRACEFUL_SECONDS:
# the webhooks already sent are answered first) and a margin.
GRACE_SECONDS = 12.0


def prctl(option: int, value: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(option, value, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), f"prctl({option}) failed")


def _die_with_parent() -> None:
    """Runs in the command's process before exec: a wrapper killed on its own takes it along."""
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def sweep(grace: float = GRACE_SECONDS) -> None:
    """SIGTERM every descendant, wait up to `grace`, SIGKILL the rest."""
    procs = psutil.Process().children(recursive=True)
    for p in procs:
        try:
            p.terminate()
        except psutil.Error:
            pass
    _gone, alive = psutil.wait_procs(procs, timeout=grace)
    # Descendants forked while we waited (a worker restarting a horse) are swept too.
    for p in alive + psutil.Process().children(recursive=True):
        try:
            p.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(psutil.Process().children(recursive=True), timeout=1)


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[1] != "--":
        print("usage: python -m hotline.service.lifeline SUPERVISOR_PID -- COMMAND...", file=sys.stderr)
        return 2
    supervisor_pid, command = int(argv[0]), argv[2:]
    prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    prctl(PR_SET_CHILD_SUBREAPER, 1)
    if os.getppid() != supervisor_pid:  # it died before the prctl took effect
        return 1
    stopping = {"signal": 0}

    def on_signal(signum: int, _frame: object) -> None:
        stopping["signal"] = signum

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    child = subprocess.Popen(command, preexec_fn=_die_with_parent)  # noqa: PLW1509 - we have no threads
    while child.poll() is None and not stopping["signal"]:
        try:
            child.wait(0.2)
        except subprocess.TimeoutExpired:
            pass
    if stopping["signal"] and child.poll() is None:
        child.send_signal(signal.SIGTERM)
        try:
            child.wait(GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            pass
    sweep()
    code = child.poll()
    return 0 if code is None else (code if code >= 0 else 128 - code)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
