"""What a Vosk model directory must contain, and installing one from a local zip or folder.

Checked by file layout rather than by loading, so `run.py models` answers in milliseconds and
an install is validated before it replaces anything.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from pathlib import Path

DEFAULT_SAMPLE_RATE = 16000


def check_model_dir(directory: Path) -> list[str]:
    """Everything missing for `directory` to be a loadable Vosk model; empty when it looks fine."""
    if not directory.is_dir():
        return [f"{directory} is not a directory"]
    missing = []
    if not (directory / "am" / "final.mdl").is_file():
        missing.append("am/final.mdl missing")
    if not ((directory / "conf" / "mfcc.conf").is_file() or (directory / "conf" / "model.conf").is_file()):
        missing.append("conf/mfcc.conf missing")
    graph = directory / "graph"
    static = (graph / "HCLG.fst").is_file()
    lookahead = (graph / "HCLr.fst").is_file() and (graph / "Gr.fst").is_file()
    if not (static or lookahead):
        missing.append("graph/HCLG.fst (or graph/HCLr.fst + graph/Gr.fst) missing")
    return missing


def model_sample_rate(directory: Path) -> int:
    """The rate the model was trained on (conf/mfcc.conf --sample-frequency; Kaldi's default 16 kHz)."""
    conf = directory / "conf" / "mfcc.conf"
    if conf.is_file():
        for line in conf.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.strip().startswith("--sample-frequency="):
                try:
                    return int(float(line.split("=", 1)[1]))
                except ValueError:
                    break
    return DEFAULT_SAMPLE_RATE


def supports_grammar(directory: Path) -> bool:
    """Only lookahead models (HCLr + Gr) can restrict recognition to a phrase list."""
    return (directory / "graph" / "HCLr.fst").is_file()


def find_model_root(tree: Path) -> Path | None:
    """The directory inside `tree` (itself or below) that holds am/ and conf/: zips nest one level."""
    candidates = [tree, *sorted(p for p in tree.rglob("*") if p.is_dir())]
    for candidate in candidates:
        if not check_model_dir(candidate):
            return candidate
    return None


class InstallError(Exception):
    pass


def install_model(source: Path, models_dir: Path, name: str | None = None, force: bool = False) -> Path:
    """Copy a model from a local zip or directory into `models_dir/<name>`; returns the new directory.

    Unpacks into a temporary directory beside the target, validates, then renames, so a
    half-copied model never appears under the configured path.
    """
    if not source.exists():
        raise InstallError(f"{source} does not exist")
    models_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=models_dir, prefix=".installing-") as tmp:
        staging = Path(tmp) / "unpacked"
        if source.is_dir():
            shutil.copytree(source, staging)
        elif zipfile.is_zipfile(source):
            _safe_extract(source, staging)
        else:
            raise InstallError(f"{source} is neither a directory nor a zip file")
        root = find_model_root(staging)
        if root is None:
            raise InstallError(f"{source} holds no Vosk model (needs am/final.mdl, conf/mfcc.conf, graph/)")
        default = root.name if root != staging else (source.name if source.is_dir() else source.stem)
        target = models_dir / (name or default)
        if target.exists():
            if not force:
                raise InstallError(f"{target} already exists; pass --force to replace it")
            shutil.rmtree(target)
        root.rename(target)
    return target


def _safe_extract(archive: Path, destination: Path) -> None:
    """Refuse members that would land outside the destination (../ or absolute paths)."""
    destination.mkdir(parents=True)
    base = destination.resolve()
    with zipfile.ZipFile(archive) as z:
        for member in z.infolist():
            target = (destination / member.filename).resolve()
            if base != target and base not in target.parents:
                raise InstallError(f"{archive} contains an unsafe path: {member.filename}")
        z.extractall(destination)
