"""Start-up after our own kill -9: how long until a webhook is answered, and until `hotline ready`.

    python3 run.py bench startup [--rounds 3]

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

    def __init__(self, folder: Path, preload: bool):
        self.folder, self.port = folder, free_port()
        self.env = {k: v for k, v in os.environ.items()
                    if k not in ("REDIS_URL", "DATABASE_URL", "HOTLINE_CONFIG", "TWILIO_ACCOUNT_SID",
                                 "TWILIO_AUTH_TOKEN")}
        self.env.update(HOTLINE_DATA_DIR=str(folder / "data"),
                        HOTLINE_PUBLIC_URL=f"http://127.0.0.1:{self.port}", PYTHONUNBUFFERED="1",
                        HOTLINE_SIM_PORT=str(free_port()), HOTLINE_WEB_PRELOAD="1" if preload else "0")
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = folder / "run.log"

    def start(self) -> float:
        self.log.write_bytes(b"")
        started = time.monotonic()
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "run.py")], env=self.env, cwd=self.folder,
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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3, help="restarts per web model (default 3)")
    args = ap.parse_args()
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
