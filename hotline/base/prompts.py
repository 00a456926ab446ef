"""Where published prompt recordings live; the flow plays one instead of TTS when it exists."""

from __future__ import annotations

import os
from pathlib import Path


def prompts_dir(recordings_dir: Path) -> Path:
    return recordings_dir / "prompts"


def published_prompt(recordings_dir: Path, name: str, lang: str) -> Path | None:
    """Asked for every prompt of every answer a caller hears: a plain string and one stat, as
    building the path with pathlib costs many times the stat."""
    path = os.path.join(recordings_dir, "prompts", name, lang, "published.wav")
    return Path(path) if os.path.isfile(path) else None
