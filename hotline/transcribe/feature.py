"""Transcription in the registry: the `[transcribe]` section and `run.py models` / `transcribe`."""

from __future__ import annotations

from hotline.base.registry import Command, Feature, Section
from hotline.transcribe import settings


def _models(argv: list[str]) -> int:
    from hotline.transcribe.cli import models_main

    return models_main(argv)


def _transcribe(argv: list[str]) -> int:
    from hotline.transcribe.cli import transcribe_main

    return transcribe_main(argv)


FEATURE = Feature(
    name="transcribe",
    sections=(Section("transcribe", settings.TranscribeSettings, settings.load_section),),
    commands=(Command("models", "[...]", "list / check / install Vosk models", _models, needs_config=False),
              Command("transcribe", "FILE..", "transcribe audio files with the configured models", _transcribe,
                      needs_config=False)),
)
