"""Name an installed model in config.toml: one line under `[transcribe.models]`, written in place.

config.toml stays the one file that says what the hotline does (`run.py check`, `models list`
and every worker read it), so `models install LANG` writes the line there rather than into a
second file in the data dir. It inserts one line and leaves every other byte (comments,
order) as it was, and only when the result parses and names the new model; otherwise (the file
is read-only, the language already has a model, `[transcribe]` writes `models` inline) it
changes nothing and says which line to add by hand.
"""

from __future__ import annotations

import os
import re
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

HEADER = re.compile(r"^\[transcribe\.models\]\s*(#.*)?$")


@dataclass(frozen=True)
class ConfigLine:
    written: bool
    line: str  # what names the model, under [transcribe.models]
    why: str  # what was done, or why nothing was


def model_line(config_path: Path, language: str, directory: Path) -> str:
    try:
        shown = str(directory.resolve().relative_to(config_path.resolve().parent))
    except ValueError:
        shown = str(directory.resolve())
    return f'"{language}" = {{ path = "{shown}" }}'


def name_model(config_path: Path, language: str, directory: Path) -> ConfigLine:
    line = model_line(config_path, language, directory)
    text = config_path.read_text(encoding="utf-8")
    models = tomllib.loads(text).get("transcribe", {}).get("models", {})
    if language in models:
        wanted = tomllib.loads(f"x = {line.split('=', 1)[1]}")["x"]
        if models[language] == wanted:
            return ConfigLine(False, line, f"{config_path} already names this model for {language}")
        return ConfigLine(False, line, f"{config_path} already names another model for {language} "
                                       f"({models[language]}); to use this one, change that line to")
    if not os.access(config_path, os.W_OK):
        return ConfigLine(False, line, f"{config_path} is not writable by this user; add under [transcribe.models]")
    lines = text.splitlines(keepends=True)
    at = next((i for i, x in enumerate(lines) if HEADER.match(x.strip())), None)
    if at is not None:
        new = "".join([*lines[:at + 1], line + "\n", *lines[at + 1:]])
    else:
        new = text + ("" if text.endswith("\n") else "\n") + f"\n[transcribe.models]\n{line}\n"
    try:
        written = tomllib.loads(new).get("transcribe", {}).get("models", {}).get(language)
    except tomllib.TOMLDecodeError:
        written = None
    if written != tomllib.loads(f"x = {line.split('=', 1)[1]}")["x"]:
        return ConfigLine(False, line, f"{config_path} could not be changed safely (how it writes [transcribe] "
                                       "is unusual); add under [transcribe.models]")
    _replace(config_path, new)
    return ConfigLine(True, line, f"wrote to {config_path}, under [transcribe.models]")


def _replace(path: Path, text: str) -> None:
    """Atomically, keeping the file's permissions: a crash leaves the old file or the new one."""
    mode = path.stat().st_mode & 0o7777
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
