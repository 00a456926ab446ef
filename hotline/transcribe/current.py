"""This process's transcription settings, read from its runtime's config."""

from __future__ import annotations

from hotline.base.runtime import get_runtime
from hotline.transcribe.settings import TranscribeSettings


def current_settings() -> TranscribeSettings:
    """Empty settings if the section never loaded: transcripts are then marked skipped."""
    value = get_runtime().config.extras.get("transcribe")
    return value if isinstance(value, TranscribeSettings) else TranscribeSettings()
