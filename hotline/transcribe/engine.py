"""File + language -> Outcome (done | empty | failed | skipped), never an exception for bad input.

Shared by the RQ job and the batch CLI, so both classify failures the same way. Only
programming errors and transient infrastructure errors escape from here.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from hotline.base.states import TranscriptStatus
from hotline.transcribe.audio import AudioError, pcm_chunks
from hotline.transcribe.coverage import coverage
from hotline.transcribe.model_cache import ModelLoadError, get_model
from hotline.transcribe.recognize import recognize
from hotline.transcribe.settings import TranscribeSettings

log = logging.getLogger("transcribe.engine")

T = TranscriptStatus
DONE, EMPTY, FAILED, SKIPPED = T.DONE, T.EMPTY, T.FAILED, T.SKIPPED


@dataclass
class Outcome:
    status: str
    text: str = ""
    words: list[dict[str, Any]] = field(default_factory=list)
    model: str | None = None
    language: str | None = None
    audio_seconds: float | None = None
    decode_seconds: float | None = None
    reason: str | None = None

    @property
    def rtf(self) -> float | None:
        if self.audio_seconds and self.decode_seconds is not None:
            return round(self.decode_seconds / self.audio_seconds, 4)
        return None

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "rtf": self.rtf}


def transcribe_file(path: Path, language: str | None, settings: TranscribeSettings,
                    phrases: list[str] | None = None) -> Outcome:
    """Transcribe one file with the model configured for `language`."""
    spec = settings.model_for(language)
    if spec is None:  # the reason says the one command that fixes it (hotline.transcribe.coverage)
        return Outcome(SKIPPED, language=language, reason=coverage(settings, language or "unknown").sentence)
    try:
        loaded = get_model(spec)
    except ModelLoadError as exc:
        return Outcome(FAILED, model=spec.label, language=language, reason=str(exc))
    try:
        result = recognize(loaded.model, pcm_chunks(path, loaded.sample_rate, settings.chunk_seconds),
                           loaded.sample_rate, phrases)
    except AudioError as exc:
        return Outcome(FAILED, model=spec.label, language=language, reason=str(exc))
    outcome = Outcome(DONE, text=result.text, words=result.words, model=spec.label, language=language,
                      audio_seconds=round(result.audio_seconds, 3),
                      decode_seconds=round(result.decode_seconds, 3))
    if result.audio_seconds == 0:
        outcome.status, outcome.reason = EMPTY, "recording has no audio (0 s)"
    elif not result.words:
        outcome.status, outcome.reason = EMPTY, "no speech recognised"
    return outcome
