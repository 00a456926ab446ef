"""Feed PCM chunks to a fresh KaldiRecognizer and collect words with timings and confidences.

A recogniser is cheap and holds per-stream state, so every file gets its own; the model
behind it is shared (transcribe.model_cache).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

BYTES_PER_SAMPLE = 2


@dataclass
class Recognition:
    text: str = ""
    words: list[dict[str, Any]] = field(default_factory=list)
    audio_seconds: float = 0.0
    decode_seconds: float = 0.0

    @property
    def rtf(self) -> float | None:
        """Real-time factor: decode time per second of audio (below 1 is faster than real time)."""
        return self.decode_seconds / self.audio_seconds if self.audio_seconds > 0 else None


def make_recognizer(model: Any, sample_rate: int, phrases: list[str] | None = None) -> Any:
    """A recogniser at the audio's true rate, with word timings; optionally limited to `phrases`.

    The phrase list always gets "[unk]" so speech outside it is not forced onto a phrase.
    """
    import vosk

    if phrases:
        grammar = json.dumps([*phrases, "[unk]"], ensure_ascii=False)
        rec = vosk.KaldiRecognizer(model, float(sample_rate), grammar)
    else:
        rec = vosk.KaldiRecognizer(model, float(sample_rate))
    rec.SetWords(True)
    return rec


def recognize(model: Any, chunks: Iterable[bytes], sample_rate: int,
              phrases: list[str] | None = None) -> Recognition:
    """Decode a stream of s16le mono chunks.

    decode_seconds is wall time from the first chunk request to the final result: it covers
    reading/resampling the file and decoding, not the (once per process) model load.
    """
    started = time.perf_counter()
    rec = make_recognizer(model, sample_rate, phrases)
    out = Recognition()
    samples = 0
    for chunk in chunks:
        samples += len(chunk) // BYTES_PER_SAMPLE
        if rec.AcceptWaveform(chunk):
            _collect(out, rec.Result())
    _collect(out, rec.FinalResult())
    out.decode_seconds = time.perf_counter() - started
    out.audio_seconds = samples / sample_rate
    out.text = " ".join(w["word"] for w in out.words)
    return out


def _collect(out: Recognition, result_json: str) -> None:
    """Keep real words only; "[unk]" is the grammar's garbage word, not something the caller said."""
    result = json.loads(result_json)
    for w in result.get("result", []):
        if w.get("word") and w["word"] != "[unk]":
            out.words.append({"word": w["word"], "start": round(float(w["start"]), 3),
                              "end": round(float(w["end"]), 3), "conf": round(float(w["conf"]), 4)})
