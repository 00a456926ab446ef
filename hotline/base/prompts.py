"""Where published prompt recordings live; the flow plays one instead of TTS when it exists."""

from __future__ import annotations

from pathlib import Path


def prompts_dir(recordings_dir: Path) -> Path:
    return recordings_dir / "prompts"


def published_prompt(recordings_dir: Path, name: str, lang: str) -> Path | None:
    path = prompts_dir(recordings_dir) / name / lang / "published.wav"
    return path if path.is_file() else None
