"""One loaded Vosk model per language per process, shared by every job the process runs.

Loading the Korean small model takes seconds and hundreds of MB; a recogniser takes
milliseconds. So the `Model` is cached here and each job builds its own `KaldiRecognizer`.
In the RQ worker the parent process fills this cache before forking (see transcribe.worker),
and each forked work horse inherits the loaded model copy-on-write.

Every real load appends a line (pid, language, directory, load seconds, epoch time when loaded)
to the file named by TRANSCRIBE_LOAD_LOG, when set, so tests and the benchmark can count
loads across processes without timing anything.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from hotline.transcribe.model_files import check_model_dir, model_sample_rate
from hotline.transcribe.settings import ModelSpec, TranscribeSettings

log = logging.getLogger("transcribe.models")

LOAD_LOG_ENV = "TRANSCRIBE_LOAD_LOG"


class ModelLoadError(Exception):
    """The configured model is missing or Vosk refused it: the job fails with this reason."""


@dataclass(frozen=True)
class LoadedModel:
    spec: ModelSpec
    directory: Path
    model: object  # vosk.Model; typed loosely so importing this module never needs libvosk
    sample_rate: int
    load_seconds: float


_cache: dict[Path, LoadedModel] = {}
_lock = threading.Lock()


def get_model(spec: ModelSpec) -> LoadedModel:
    """The loaded model for `spec`, loading it on first use in this process."""
    try:
        directory = spec.resolve().resolve()
    except FileNotFoundError as exc:
        raise ModelLoadError(f"model for {spec.language} not available: {exc}") from exc
    with _lock:
        if directory not in _cache:
            _cache[directory] = _load(spec, directory)
        return _cache[directory]


def _load(spec: ModelSpec, directory: Path) -> LoadedModel:
    import vosk

    missing = check_model_dir(directory)
    if missing:
        raise ModelLoadError(f"{directory} is not a Vosk model: {'; '.join(missing)}")
    vosk.SetLogLevel(-1)
    started = time.perf_counter()
    try:
        model = vosk.Model(str(directory))
    except Exception as exc:  # vosk raises a bare Exception("Failed to create a model")
        raise ModelLoadError(f"Vosk could not load the model in {directory}: {exc}") from exc
    seconds = time.perf_counter() - started
    log.info("loaded model for %s from %s in %.2fs (pid %d)", spec.language, directory, seconds, os.getpid())
    _note_load(spec, directory, seconds)
    return LoadedModel(spec, directory, model, model_sample_rate(directory), seconds)


def _note_load(spec: ModelSpec, directory: Path, seconds: float) -> None:
    target = os.environ.get(LOAD_LOG_ENV)
    if target:
        with open(target, "a", encoding="utf-8") as f:
            f.write(f"{os.getpid()}\t{spec.language}\t{directory}\t{seconds:.3f}\t{time.time():.3f}\n")


def preload(settings: TranscribeSettings) -> dict[str, str]:
    """Load every configured model now; returns language -> "ok" or the reason it failed.

    A model that fails is logged and skipped, never fatal: the worker must still run so
    other languages are transcribed and failures are recorded per recording.
    """
    report: dict[str, str] = {}
    for language, spec in settings.models.items():
        try:
            get_model(spec)
            report[language] = "ok"
        except ModelLoadError as exc:
            log.error("preload: %s", exc)
            report[language] = str(exc)
    return report


def loaded() -> dict[Path, LoadedModel]:
    """What this process has loaded (a copy), for diagnostics."""
    with _lock:
        return dict(_cache)


def forget_all() -> None:
    """Drop every cached model (tests that need a cold cache)."""
    with _lock:
        _cache.clear()
