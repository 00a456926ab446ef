"""Will a language's recordings be transcribed, and if not, the one command that fixes it.

Said the same way wherever a language has no usable model: `run.py models list`, the reason of
a `skipped` transcript (shown on the incident page) and the console's Health page, so a person
who meets "not transcribed" anywhere reads the fix next to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from hotline.transcribe.catalogue import CatalogueError, official_for
from hotline.transcribe.model_files import check_model_dir
from hotline.transcribe.settings import ModelSpec, TranscribeSettings


@dataclass(frozen=True)
class Coverage:
    language: str
    spec: ModelSpec | None  # the configured model, if any
    directory: Path | None = None
    problems: list[str] = field(default_factory=list)  # why a configured model is not usable

    @property
    def ok(self) -> bool:
        return self.spec is not None and not self.problems

    @property
    def fix(self) -> str:
        """The one command that makes this language's recordings transcribed."""
        return fix_command(self.language, replace=self.spec is not None)

    @property
    def sentence(self) -> str:
        if self.ok:
            return f"recordings in {self.language} are transcribed with {self.spec.label if self.spec else ''}"
        why = "no transcription model" if self.spec is None else f"its model is not usable ({'; '.join(self.problems)})"
        return f"{self.language}: {why}, so its recordings are not transcribed. Fix: {self.fix}"


def coverage(settings: TranscribeSettings, language: str) -> Coverage:
    spec = settings.model_for(language)
    if spec is None:
        return Coverage(language, None)
    try:
        directory = spec.resolve()
    except FileNotFoundError as exc:
        return Coverage(language, spec, None, [str(exc)])
    return Coverage(language, spec, directory, check_model_dir(directory))


def fix_command(language: str, replace: bool = False) -> str:
    """`run.py models install LANG` where a model is pinned for the language; else the zip route."""
    try:
        pinned = official_for(language) is not None
    except CatalogueError:
        pinned = False
    force = " --force" if replace else ""
    if pinned:
        return f"python3 run.py models install {language}{force}"
    return f"python3 run.py models install MODEL.zip --lang {language}{force} (a zip for {language} from " \
           "https://alphacephei.com/vosk/models)"
