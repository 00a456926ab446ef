"""This process's transcription settings, read from its runtime's config."""

from __future__ import annotations

from hotline.base.runtime import get_runtime
from hotline.transcribe.settings import TranscribeSettings


def current_settings() -> TranscribeSettings:
    return get_runtime().config.section(TranscribeSettings)
