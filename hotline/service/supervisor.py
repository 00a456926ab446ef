"""`python run.py` with no arguments: the whole hotline on one machine, embedded defaults.

Children run in their own process groups so that one Ctrl-C (or SIGTERM) here stops each
group whole, gunicorn workers and RQ work horses included: nothing is left behind.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from urllib.parse import urlparse

import requests

from hotline.base.config import ROOT, Config
from hotline.base.private_files import private_dir, restrict_umask
from hotline.service.embedded_redis import EmbeddedRedis, start_embedded_redis

WORKER_QUEUES = ("callout", "recordings", "default")
# What `python run.py` starts: dialling never waits behind a download or a transcription.
WORKERS = {"callout-worker": ("callout",), "worker": ("recordings", "default"), "transcriber": ("transcribe",)}
# The convergence cycle (hotline.lifecycle.converge): drives every open incident toward its
# desired state, so no lost webhook or job leaves a report unpaged.
ENGINE_ARGV = ["-m", "hotline.service.engine"]


# Processes rather than threads: webhook handling is CPU-bound Python, and threads of one
# process queue on its GIL (bench/webhooks.py: p99 inside gunicorn 29 ms at 4x2 vs 118 ms at 2x8).
WEB_WORKERS = 2 * (os.cpu_count() or 1)
WEB_THREADS = 2


def gunicorn_argv(cfg: Config, workers: int = WEB_WORKERS, threads: int = WEB_THREADS) -> list[str]:
    parsed = urlparse(cfg.public_url)
    bind = os.environ.get("HOTLINE_BIND") or f"127.0.0.1:{parsed.port or 8000}"
    return ["-m", "gunicorn", "--bind", bind, "--workers", str(workers), "--threads", str(threads),
            "--worker-class", "gthread", "--access-logfile", "-", "--graceful-timeout", "5",
            "hotline.service.wsgi:app"]


def worker_argv(redis_url: str, queues: tuple[str, ...] = WORKER_QUEUES) -> list[str]:
    """The worker class follows the queues:
    - "transcribe": transcribe.worker.PreloadingWorker loads the Vosk models once, before forking;
    - "callout": callout.worker.CalloutWorker resumes open callouts at start and runs callout
      jobs without forking (see those modules)."""
    if "transcribe" in queues:
        if set(queues) != {"transcribe"}:
            raise ValueError("run the transcribe queue in a worker of its own (it preloads models)")
        worker_class = ["--worker-class", "transcribe.worker.PreloadingWorker"]
    elif "callout" in queues:
        worker_class = ["--worker-class", "callout.worker.CalloutWorker"]
    else:
        worker_class = []
    return ["-m", "rq.cli", "worker", "--url", redis_url, "--with-scheduler", *worker_class, *queues]


class Supervisor:
    def __init__(self) -> None:
        self.children: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.stopping = False

    def spawn(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen([sys.executable, *argv], env=env, cwd=ROOT, start_new_session=True)
        self.children.append((name, proc))
        return proc

    def stop(self, timeout: float = 10.0) -> None:
        self.stopping = True
        for _name, proc in reversed(self.children):
            _signal_group(proc, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for _name, proc in self.children:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            _signal_group(proc, signal.SIGKILL)  # sweeps any grandchild still in the group
            proc.wait()

    def died(self) -> str | None:
        return next((name for name, proc in self.children if proc.poll() is not None), None)


def _signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def run_all(cfg: Config) -> int:
    restrict_umask()  # inherited by web, workers, engine and the embedded Redis
    private_dir(cfg.data_dir)
    env = {**os.environ, "HOTLINE_CONFIG": str(cfg.path), "PYTHONUNBUFFERED": "1"}
    sup = Supervisor()
    redis: EmbeddedRedis | None = None
    sim = None
    stop_now = {"flag": False}

    def on_signal(signum: int, _frame: object) -> None:
        stop_now["flag"] = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        redis_url = cfg.redis_url
        if not redis_url:
            redis = start_embedded_redis(cfg.data_dir / "redis")
            redis_url = redis.url
        env["REDIS_URL"] = redis_url
        if not cfg.twilio.configured:
            sim = _start_sim(cfg, env)
        sup.spawn("web", gunicorn_argv(cfg), env)
        for name, queues in WORKERS.items():
            sup.spawn(name, worker_argv(redis_url, queues), env)
        sup.spawn("engine", ENGINE_ARGV, env)
        _wait_ready(cfg, sup)
        info = {"public_url": cfg.public_url, "redis_url": redis_url, "database_url": cfg.database_url,
                "sim_url": sim.api_base_url if sim else None, "numbers": list(cfg.numbers),
                "pid": os.getpid()}
        (cfg.data_dir / "run.json").write_text(json.dumps(info, indent=2))
        _print_banner(cfg, info)
        while not stop_now["flag"]:
            dead = sup.died()
            if dead:
                print(f"run.py: {dead} exited unexpectedly; stopping everything", file=sys.stderr)
                return 1
            time.sleep(0.2)
        print("run.py: stopping", flush=True)
        return 0
    finally:
        sup.stop()
        if sim is not None:
            sim.stop()
        if redis is not None:
            redis.stop()
        (cfg.data_dir / "run.json").unlink(missing_ok=True)


def _start_sim(cfg: Config, env: dict[str, str]):  # type: ignore[no-untyped-def]
    """No Twilio account: the sim plays Twilio, with our number wired to our webhooks."""
    from sim import Sim

    sid = "AC" + secrets.token_hex(16)
    token = secrets.token_hex(16)
    sim = Sim(account_sid=sid, auth_token=token, virtual_time=False)
    sim.start(host="127.0.0.1", port=int(os.environ.get("HOTLINE_SIM_PORT", "0")))
    for number in cfg.numbers:
        sim.add_number(number, voice_url=f"{cfg.public_url}/voice/incoming",
                       voice_fallback_url=f"{cfg.public_url}/voice/fallback",
                       status_callback=f"{cfg.public_url}/voice/status")
    env.update(TWILIO_ACCOUNT_SID=sid, TWILIO_AUTH_TOKEN=token, HOTLINE_SIM_URL=sim.api_base_url)
    return sim


def _wait_ready(cfg: Config, sup: Supervisor, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        dead = sup.died()
        if dead:
            raise RuntimeError(f"{dead} exited during start-up; see the log above")
        try:
            if requests.get(f"{cfg.public_url}/healthz", timeout=1).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the web server did not answer at {cfg.public_url}/healthz within {timeout}s")


def _print_banner(cfg: Config, info: dict[str, object]) -> None:
    from hotline.console import first_run_token

    token = first_run_token(cfg)
    lines = [
        "",
        f"Crisis hotline for {cfg.org_name} is running.",
        f"  console:   {cfg.public_url}/console/"
        + (f"   (first run: log in as `admin` with {token})" if token else ""),
        f"  web:       {cfg.public_url}   (Twilio webhooks under /voice)",
        f"  database:  {cfg.database_url}",
        f"  redis:     {info['redis_url']}",
        f"  hotline:   {', '.join(cfg.numbers)}",
    ]
    if info["sim_url"]:
        lines += [f"  sim:       {info['sim_url']}   (no Twilio credentials set: calls are simulated)",
                  f"  phones:    {cfg.public_url}/sim   (browser phones: play caller and responders)",
                  "",
                  "Place a first call:   python3 run.py call"]
    lines += ["Stop with Ctrl-C.", "hotline ready", ""]
    print("\n".join(lines), flush=True)
