"""Start-up: after our own kill -9 (default), or a plain start and stop (--warm).

    python3 run.py bench startup [--rounds 3]
    python3 run.py bench startup --warm [--rounds 3]
    python3 run.py bench startup --warm --against DIR [--rounds 3]

--warm times a start of `python3 run.py` (installed .venv, existing data dir) to `hotline ready`,
then stops it with SIGINT, as a person does. Rounds alternate between the model `run.py` uses
(the workers, scheduler and engine forked from one preloaded parent, hotline.service.forkserver)
and the baseline HOTLINE_FORK_ROLES=0 (each a program that imports the hotline itself). Besides
the seconds it reports the CPU seconds the whole tree used until ready: on a shared machine the
seconds depend on what else runs, the CPU much less, and CPU seconds / cores is what a quiet
machine needs at least. --against DIR alternates instead between this checkout and another one
(e.g. `git worktree add DIR main`, started once before so it has its own .venv), both forked:
a change's before and after on the same machine, in the same minutes.

Without --warm:

`run.py` runs as a real subprocess in a data dir of its own (embedded Redis, SQLite, its own sim).
Each round kills its whole process tree with SIGKILL, as a crashed host would, starts it again at
once, and times from the new start to (a) the first answer from the app to a POST on
/voice/incoming (any status: an unsigned request gets 403, which only a worker that has loaded
the app can say) and (b) the `hotline ready` line. Rounds alternate between the web model
`run.py` uses (the master preloads the app and forks its workers) and the baseline
HOTLINE_WEB_PRELOAD=0 (each worker loads the app itself), so both see the same machine.
Reports the medians and their ratio; the ratio is the point, not the seconds.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hotline.service.embedded_redis import free_port  # noqa: E402

TIMEOUT = 240.0


class Run:
    """`python3 run.py` in `folder`, started and killed again."""

    def __init__(self, folder: Path, preload: bool, fork_roles: bool = True, root: Path = ROOT):
        self.folder, self.port, self.root = folder, free_port(), root
        self.env = {k: v for k, v in os.environ.items()
                    if k not in ("REDIS_URL", "DATABASE_URL", "HOTLINE_CONFIG", "TWILIO_ACCOUNT_SID",
                                 "TWILIO_AUTH_TOKEN")}
        self.env.update(HOTLINE_DATA_DIR=str(folder / "data"),
                        HOTLINE_PUBLIC_URL=f"http://127.0.0.1:{self.port}", PYTHONUNBUFFERED="1",
                        HOTLINE_SIM_PORT=str(free_port()), HOTLINE_WEB_PRELOAD="1" if preload else "0",
                        HOTLINE_FORK_ROLES="1" if fork_roles else "0")
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = folder / "run.log"

    def start(self) -> float:
        self.log.write_bytes(b"")
        started = time.monotonic()
        self.proc = subprocess.Popen([sys.executable, str(self.root / "run.py")], env=self.env, cwd=self.folder,
                                     stdout=self.log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True)
        return started

    def web_answers(self, started: float) -> float:
        url = f"http://127.0.0.1:{self.port}/voice/incoming"
        while time.monotonic() - started < TIMEOUT:
            self._alive()
            try:
                requests.post(url, data={"CallSid": "CAstartup"}, timeout=2)
                return time.monotonic() - started
            except requests.RequestException:
                time.sleep(0.05)
        raise RuntimeError(f"no answer within {TIMEOUT} s; see {self.log}")

    def ready(self, started: float) -> float:
        while "hotline ready" not in self.log.read_text(errors="replace"):
            self._alive()
            if time.monotonic() - started > TIMEOUT:
                raise RuntimeError(f"not ready within {TIMEOUT} s; see {self.log}")
            time.sleep(0.05)
        return time.monotonic() - started

    def cpu_seconds(self) -> float:
        """User and system CPU of `run.py` and everything under it (and what they have reaped)."""
        assert self.proc is not None
        total = 0.0
        for p in [psutil.Process(self.proc.pid), *psutil.Process(self.proc.pid).children(recursive=True)]:
            try:
                t = p.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += t.user + t.system + t.children_user + t.children_system
        return total

    def stop(self) -> None:
        """SIGINT, as Ctrl-C: the supervisor stops everything in order."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(60)

    def kill(self) -> None:
        """SIGKILL to `run.py` and every process under it at once: nothing gets to clean up."""
        assert self.proc is not None
        tree = [psutil.Process(self.proc.pid)]
        tree += tree[0].children(recursive=True)
        for p in tree:
            try:
                p.kill()
            except psutil.NoSuchProcess:
                pass
        psutil.wait_procs(tree, timeout=30)
        self.proc.wait(30)

    def _alive(self) -> None:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise RuntimeError(f"run.py exited ({self.proc.returncode}); see {self.log}")


def warm(rounds: int, against: Path | None = None) -> int:
    """Without `against`: this checkout forked (True) against one program per child (False);
    with it: this checkout (True) against `against` (False), both forked."""
    results: dict[bool, list[tuple[float, float]]] = {True: [], False: []}
    names = {True: "this    ", False: "against "} if against else {True: "forked  ", False: "baseline"}

    def run_of(tmp: str, mine: bool) -> Run:
        folder = Path(tmp) / names[mine].strip()
        if against:
            return Run(folder, True, True, ROOT if mine else against)
        return Run(folder, True, mine)

    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        for mine in (True, False):  # a first start makes the data dir, the database, the password
            run = run_of(tmp, mine)
            run.folder.mkdir()
            run.ready(run.start())
            run.stop()
        for _ in range(rounds):
            for mine in (True, False):
                run = run_of(tmp, mine)
                started = run.start()
                try:
                    ready = run.ready(started)
                    cpu = run.cpu_seconds()
                finally:
                    run.stop()
                results[mine].append((ready, cpu))
                print(f"{names[mine]}  hotline ready {ready:5.1f} s   CPU until ready {cpu:5.1f} s   "
                      f"load {' '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)
    med = {k: (statistics.median(r for r, _ in v), statistics.median(c for _, c in v)) for k, v in results.items()}
    cores = os.cpu_count() or 1
    this, other = ("this checkout", str(against)) if against else ("forked", "one program per child")
    print(f"\nmedian warm start: hotline ready {med[True][0]:.1f} s {this} vs {med[False][0]:.1f} s {other} "
          f"(ratio {med[True][0] / med[False][0]:.2f}); CPU until ready {med[True][1]:.1f} s vs "
          f"{med[False][1]:.1f} s (ratio {med[True][1] / med[False][1]:.2f}; at least {med[True][1] / cores:.1f} s "
          f"vs {med[False][1] / cores:.1f} s on {cores} idle cores)")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3, help="starts per model (default 3)")
    ap.add_argument("--warm", action="store_true", help="plain starts: forked children against one program each")
    ap.add_argument("--against", type=Path, help="with --warm: another checkout to alternate with (before/after)")
    args = ap.parse_args()
    if args.warm:
        return warm(args.rounds, args.against.resolve() if args.against else None)
    results: dict[bool, list[tuple[float, float]]] = {True: [], False: []}
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        for preload in (True, False):  # a first start makes the data dir, the database, the password
            run = Run(Path(tmp) / ("preload" if preload else "baseline"), preload)
            run.folder.mkdir()
            started = run.start()
            run.ready(started)
            run.kill()
        for _ in range(args.rounds):
            for preload in (True, False):
                run = Run(Path(tmp) / ("preload" if preload else "baseline"), preload)
                started = run.start()
                try:
                    web = run.web_answers(started)
                    ready = run.ready(started)
                finally:
                    run.kill()
                results[preload].append((web, ready))
                print(f"{'preload ' if preload else 'baseline'}  first webhook answered {web:5.1f} s   "
                      f"hotline ready {ready:5.1f} s", flush=True)
    med = {k: (statistics.median(w for w, _ in v), statistics.median(r for _, r in v)) for k, v in results.items()}
    print(f"\nmedian after kill -9: first webhook answered {med[True][0]:.1f} s with preload vs "
          f"{med[False][0]:.1f} s without (ratio {med[True][0] / med[False][0]:.2f}); "
          f"hotline ready {med[True][1]:.1f} s vs {med[False][1]:.1f} s (ratio {med[True][1] / med[False][1]:.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
