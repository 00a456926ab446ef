"""One preloaded parent that forks the supervisor's Python children, as gunicorn's `--preload`
does for the web workers.

Why: `run.py` runs about a dozen Python programs (the callout worker, the recordings and
broadcast workers, RQ's scheduler, the engine). Started each as `python -m ...`, every one
imported the hotline on its own, 0.8 to 1.6 s of CPU each, all at once on a few cores: a warm
start took 15 to 25 s to "hotline ready" on two cores (bench/startup.py --warm). Here the
imports happen once, in this process (`python -m hotline.service.forkserver SOCKET`, the
supervisor's child "forkserver"), and each program is a fork of it that runs its module as
`python -m` would, in milliseconds.

The supervisor still owns each program (hotline.service.supervisor): it asks for a fork over
the Unix socket, one connection per program, and keeps that connection as the program's handle
(`ForkedProc`, with Popen's poll/wait/terminate/kill), so a program that exits is restarted
alone, a hung one (its heartbeat) is killed alone, and stopping stops each. On the socket:
- the supervisor sends one JSON line: the program's argv (`["-m", module, *args]`) and env;
- this process forks and answers `{"pid": PID}`; when the program exits it answers
  `{"exit": CODE}` (Popen's returncode: negative for a signal) and closes the connection;
- a connection closed by the supervisor gets its program SIGKILLed: a program nobody
  supervises must not run on.

Nothing outlives us: each program gets SIGKILL when this process dies (PR_SET_PDEATHSIG), and
the supervisor then sees every connection close and restarts them once a new forkserver
answers. This process runs under a lifeline like any child (dies with the supervisor); on
SIGTERM it passes SIGTERM to its programs, waits for them, then exits.

Before forking, this process holds no database connection, no Redis connection and no thread
(the preload imports modules and builds the feature registry, nothing more), so a program
inherits nothing it could share by accident (see hotline.base.runtime.release_db_before_fork).
Programs that fork children of their own (the transcriber's work horses, which call setpgrp)
are not run here: their lifeline sweeps those children, and here nothing would.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import runpy
import selectors
import signal
import socket
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from hotline.service.lifeline import GRACE_SECONDS, PR_SET_PDEATHSIG, prctl

# What the forked programs import at start: loaded once here. The registry builds every feature
# (their jobs, cycle steps), which the workers and the engine need before their first job.
PRELOAD = ("rq.cli", "rq.cli.__main__", "hotline.service.workers", "hotline.service.engine",
           "hotline.service.scheduler", "hotline.base.registry", "hotline.base.cycle")
SOCKET_NAME = "forkserver.sock"
STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}


def socket_path(run_dir: Path) -> Path:
    """Where the forkserver listens. A Unix socket's path must fit in 108 bytes: a data dir
    deep in the file system gets a private folder in /tmp instead."""
    path = run_dir / SOCKET_NAME
    if len(str(path)) < 100:
        return path
    import tempfile

    return Path(tempfile.mkdtemp(prefix="hotline-fork-")) / SOCKET_NAME


# --- the supervisor's side ------------------------------------------------------------------


class NotReady(OSError):
    """The forkserver does not answer (yet): it is still importing, or restarting."""


@dataclass
class ForkedProc:
    """A program forked by the forkserver, seen like a subprocess.Popen: `returncode` is set once
    the forkserver has reaped it (or has died, taking it along)."""

    pid: int
    conn: socket.socket
    returncode: int | None = None
    _buffer: bytes = b""

    def poll(self) -> int | None:
        if self.returncode is None:
            self._read(0.0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.returncode is None:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise subprocess.TimeoutExpired(f"forked program {self.pid}", timeout or 0.0)
            self._read(left)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def _read(self, timeout: float | None) -> None:
        self.conn.settimeout(timeout)
        try:
            data = self.conn.recv(4096)
        except (TimeoutError, BlockingIOError):
            return
        except OSError:
            data = b""
        if not data:  # the forkserver died: its programs die with it (PR_SET_PDEATHSIG)
            self.returncode = -signal.SIGKILL
            self.conn.close()
            return
        self._buffer += data
        while b"\n" in self._buffer:
            line, self._buffer = self._buffer.split(b"\n", 1)
            message = json.loads(line)
            if "exit" in message:
                self.returncode = int(message["exit"])
                self.conn.close()


def spawn(path: Path, argv: list[str], env: dict[str, str], timeout: float = 10.0) -> ForkedProc:
    """Ask the forkserver at `path` to fork the program `argv` (`["-m", module, *args]`).
    Raises NotReady when it does not answer, so the caller can try again shortly."""
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.settimeout(timeout)
        conn.connect(str(path))
        conn.sendall(json.dumps({"argv": argv, "env": env}).encode() + b"\n")
        reply = b""
        while not reply.endswith(b"\n"):
            chunk = conn.recv(4096)
            if not chunk:
                raise NotReady("the forkserver closed the connection before forking")
            reply += chunk
    except OSError as exc:
        conn.close()
        raise NotReady(str(exc)) from exc
    return ForkedProc(int(json.loads(reply)["pid"]), conn)


# --- the forkserver itself -------------------------------------------------------------------


def _run_program(argv: list[str], env: dict[str, str]) -> int:
    """In the forked child: run `-m module args` as `python -m` would, and return its exit code."""
    os.environ.clear()
    os.environ.update(env)
    if len(argv) < 2 or argv[0] != "-m":
        print(f"forkserver: cannot run {argv!r}: only `-m module ...`", file=sys.stderr, flush=True)
        return 2
    sys.argv = [argv[1], *argv[2:]]
    # The module was preloaded, so runpy warns that it runs it again as __main__: that is the
    # point (its body is cheap; what it imports is loaded), as `python -m` would run it.
    warnings.filterwarnings("ignore", category=RuntimeWarning, module="runpy")
    try:
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        code = exc.code
        if code is None:
            return 0
        if isinstance(code, int):
            return code
        print(code, file=sys.stderr, flush=True)
        return 1
    except BaseException:  # noqa: BLE001 - print it as Python would, and exit 1
        import traceback

        traceback.print_exc()
        return 1
    return 0


def _child(sel: selectors.BaseSelector, listener: socket.socket, conns: list[socket.socket], argv: list[str],
           env: dict[str, str], mask: set[int | signal.Signals]) -> None:
    """The forked side: never returns. `mask`: the signal mask to restore once the stop signals
    have their default action again (they arrive blocked, see `_start`)."""
    code = 1
    try:
        sel.close()  # our copy of its descriptor only: the forkserver's registrations stay
        for s in (listener, *conns):
            s.close()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)  # a stop asked for meanwhile ends it here
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() == 1:  # the forkserver died before the prctl took effect
            os._exit(1)
        code = _run_program(argv, env)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def serve(path: Path, preload: tuple[str, ...] = PRELOAD) -> int:
    for module in preload:
        importlib.import_module(module)
    if "hotline.base.registry" in preload:
        from hotline.base.registry import registry

        registry()
    stopping = {"flag": False}
    signal.signal(signal.SIGTERM, lambda *_: stopping.update(flag=True))
    signal.signal(signal.SIGINT, lambda *_: stopping.update(flag=True))
    path.unlink(missing_ok=True)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))  # bound only now: a supervisor that connects finds everything loaded
    listener.listen(64)
    sel = selectors.DefaultSelector()
    sel.register(listener, selectors.EVENT_READ)
    programs: dict[int, socket.socket] = {}  # pid -> the supervisor's connection for it
    stop_deadline: float | None = None
    try:
        while True:
            if stopping["flag"] and stop_deadline is None:
                stop_deadline = time.monotonic() + GRACE_SECONDS
                sel.unregister(listener)
                for pid in programs:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGTERM)
            if stop_deadline is not None and (not programs or time.monotonic() > stop_deadline):
                return 0
            for key, _ in sel.select(timeout=0.1):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                if sock is listener:
                    conn, _ = listener.accept()
                    _start(conn, listener, programs, sel)
                else:  # the supervisor closed a program's connection: it must not run on
                    if not _recv_all(sock):
                        for pid, c in list(programs.items()):
                            if c is sock:
                                with contextlib.suppress(ProcessLookupError):
                                    os.kill(pid, signal.SIGKILL)
                        sel.unregister(sock)
            _reap(programs, sel)
    finally:
        path.unlink(missing_ok=True)


def _recv_all(sock: socket.socket) -> bool:
    try:
        return bool(sock.recv(4096))
    except OSError:
        return False


def _start(conn: socket.socket, listener: socket.socket, programs: dict[int, socket.socket],
           sel: selectors.BaseSelector) -> None:
    conn.settimeout(5)
    request = b""
    try:
        while not request.endswith(b"\n"):
            chunk = conn.recv(65536)
            if not chunk:
                conn.close()
                return
            request += chunk
        message = json.loads(request)
        argv, env = list(message["argv"]), dict(message["env"])
    except (OSError, ValueError, KeyError):
        conn.close()
        return
    # The stop signals wait, blocked, across the fork: until the child has put back their default
    # action, it holds the forkserver's handler, which would only set a flag in the child's copy.
    # A SIGTERM sent in that moment (a stop right after a start) was lost, and the program ran on
    # until SIGKILL. Blocked, it is delivered once the default is back: the program stops.
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    pid = os.fork()
    if pid == 0:
        _child(sel, listener, [conn, *programs.values()], argv, env, mask)
    signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    programs[pid] = conn
    try:
        conn.sendall(json.dumps({"pid": pid}).encode() + b"\n")
    except OSError:
        os.kill(pid, signal.SIGKILL)  # reaped below like any exit
    with contextlib.suppress(ValueError, KeyError, OSError):
        sel.register(conn, selectors.EVENT_READ)


def _reap(programs: dict[int, socket.socket], sel: selectors.BaseSelector) -> None:
    while programs:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        conn = programs.pop(pid, None)
        if conn is None:
            continue
        with contextlib.suppress(OSError):
            conn.sendall(json.dumps({"exit": os.waitstatus_to_exitcode(status)}).encode() + b"\n")
        with contextlib.suppress(ValueError, KeyError):
            sel.unregister(conn)
        conn.close()


def main(argv: list[str]) -> int:
    if len(argv) < 1:
        print("usage: python -m hotline.service.forkserver SOCKET_PATH [MODULE...]", file=sys.stderr)
        return 2
    return serve(Path(argv[0]), tuple(argv[1:]) or PRELOAD)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
