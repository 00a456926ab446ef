"""`run.py models ...` and `run.py transcribe FILE...`: the operator's side of transcription.

`models install LANG` fetches the official Vosk model pinned for that language
(`hotline.transcribe.catalogue`: URL, size, sha256) with a progress bar, resuming a broken
download, refusing a wrong checksum; it unpacks the model into the data dir and names it in
config.toml (`hotline.transcribe.config_line`). `models install PATH --lang LANG` does the same
from a zip or folder fetched elsewhere. Nothing else here, and nothing at run time, downloads:
no caller audio leaves the building. `models list` says, for every hotline language, whether its
recordings will be transcribed and, if not, the one command that fixes it.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from hotline.base.config import ConfigError, load_config
from hotline.transcribe.catalogue import MODEL_LIST, CatalogueError, OfficialModel, official_for
from hotline.transcribe.config_line import name_model
from hotline.transcribe.coverage import coverage
from hotline.transcribe.download import DownloadError, fetch
from hotline.transcribe.engine import DONE, EMPTY, transcribe_file
from hotline.transcribe.model_files import (
    InstallError,
    check_model_dir,
    find_model_root,
    install_model,
    model_sample_rate,
)
from hotline.transcribe.settings import TranscribeSettings

LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


def models_main(argv: list[str]) -> int:
    """`models` lists every language's model; `models install LANG|ZIP|DIR` installs one."""
    parser = argparse.ArgumentParser(prog="run.py models", description="List, check and install Vosk models.")
    sub = parser.add_subparsers(dest="command")
    check = sub.add_parser("list", help="for each language: transcribed or not, and the fix (the default)")
    check.add_argument("--load", action="store_true", help="also load each model with Vosk (slow, thorough)")
    inst = sub.add_parser("install", help="fetch the official model for a language, or install a local zip/folder")
    inst.add_argument("source", help="a language tag (zh-TW, en-US: the pinned official model), or a .zip or "
                                     "directory holding a Vosk model")
    inst.add_argument("--lang", help="with a zip or directory: the language it transcribes (names it in config.toml)")
    inst.add_argument("--dir", type=Path, help="target directory (default: transcribe.models_dir)")
    inst.add_argument("--name", help="directory name for the model (default: from the source)")
    inst.add_argument("--force", action="store_true", help="replace an existing model of that name")
    args = parser.parse_args(argv or ["list"])
    try:
        cfg = load_config()
        settings = cfg.section(TranscribeSettings)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    if args.command == "install":
        return _install(args, settings, cfg.path)
    return _list(settings, cfg.languages, load=args.load)


def _list(settings: TranscribeSettings, hotline_languages: tuple[str, ...], load: bool) -> int:
    """One line per language (the hotline's, then any other configured): transcribed or not."""
    bad = 0
    for language in dict.fromkeys((*hotline_languages, *sorted(settings.models))):
        found = coverage(settings, language)
        if found.ok and load:
            from hotline.transcribe.model_cache import ModelLoadError, get_model

            try:
                print(f"  (loaded in {get_model(found.spec).load_seconds:.1f}s)")  # type: ignore[arg-type]
            except ModelLoadError as exc:
                found = type(found)(language, found.spec, found.directory, [str(exc)])
        if found.ok:
            assert found.spec is not None and found.directory is not None
            print(f"{language:8} transcribed: {found.spec.label} -> {found.directory} "
                  f"{model_sample_rate(found.directory)} Hz [ok]")
        else:
            print(f"{language:8} NOT transcribed{' (BROKEN)' if found.spec else ''}: {found.sentence}")
        bad += bool(found.spec and not found.ok)
    return 1 if bad else 0


def _install(args: argparse.Namespace, settings: TranscribeSettings, config_path: Path) -> int:
    target_dir = (args.dir or settings.models_dir).resolve()
    source = Path(args.source)
    if not source.exists() and LANGUAGE_TAG.match(args.source):
        return _install_official(args.source, target_dir, args.force, config_path)
    if not source.exists():
        print(f"{args.source}: no such file or directory, and not a language tag. Give a language "
              f"(`run.py models install zh-TW`) or a zip from {MODEL_LIST}.", file=sys.stderr)
        return 2
    try:
        installed = install_model(source, target_dir, name=args.name, force=args.force)
    except InstallError as exc:
        print(f"install failed: {exc}", file=sys.stderr)
        return 1
    print(f"installed {installed} ({model_sample_rate(installed)} Hz)")
    if not args.lang:
        print("name it in config.toml under [transcribe.models] (or run again with --lang LANG to have it written):")
        print(f'  "xx-XX" = {{ path = "{installed}" }}')
        return 0
    return _name_in_config(config_path, args.lang, installed)


def _install_official(language: str, models_dir: Path, force: bool, config_path: Path) -> int:
    try:
        model: OfficialModel | None = official_for(language)
    except CatalogueError as exc:
        print(f"run.py models: {exc}", file=sys.stderr)
        return 2
    if model is None:
        print(f"run.py models: no official model is pinned for {language}. Fetch a zip for it from {MODEL_LIST}, "
              f"then `python3 run.py models install MODEL.zip --lang {language}`. (This hotline downloads "
              "only the pinned models.)", file=sys.stderr)
        return 2
    installed = models_dir / model.name
    if check_model_dir(installed) and installed.exists() and not force:
        print(f"{installed} exists but is not a complete model: run again with --force to replace it",
              file=sys.stderr)
        return 1
    if force or not installed.exists():
        archive = models_dir / f"{model.name}.zip"
        print(f"fetching {model.url} ({model.size / 1e6:.1f} MB, sha256 {model.sha256[:12]}...)", flush=True)
        try:
            fetch(model.url, archive, model.size, model.sha256)
            install_model(archive, models_dir, name=model.name, force=force)
        except (DownloadError, InstallError) as exc:
            print(f"run.py models: {exc}", file=sys.stderr)
            return 1
        archive.unlink(missing_ok=True)
        print(f"installed {installed} ({model_sample_rate(installed)} Hz)")
    else:
        print(f"{installed} is already installed")
    return _name_in_config(config_path, language, installed)


def _name_in_config(config_path: Path, language: str, installed: Path) -> int:
    done = name_model(config_path, language, installed)
    print(f"config: {done.why}:\n  {done.line}" if not done.written else f"config: {done.why}: {done.line}")
    print("restart `python3 run.py` (or the transcription worker) so it loads the model; "
          "`python3 run.py models` shows every language.")
    return 0


def transcribe_main(argv: list[str]) -> int:
    """Batch-transcribe files with a progress bar; exit 1 if any file failed or was skipped."""
    from tqdm import tqdm

    parser = argparse.ArgumentParser(prog="run.py transcribe", description="Transcribe audio files locally.")
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--lang", help="language tag (default: the hotline's default language)")
    parser.add_argument("--model", type=Path, help="use this model directory instead of the configured one")
    parser.add_argument("--phrases", help="restrict recognition to these phrases, separated by '|'")
    parser.add_argument("--json", action="store_true", help="one JSON object per file on stdout")
    args = parser.parse_args(argv)
    missing = [str(p) for p in args.files if not p.is_file()]
    if missing:  # before anything about models: the first thing to fix is the path
        print(f"run.py transcribe: file not found: {', '.join(missing)}", file=sys.stderr)
        return 2
    try:
        cfg = load_config()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    settings = cfg.section(TranscribeSettings) or TranscribeSettings()
    language = args.lang or cfg.default_language
    if args.model:
        from dataclasses import replace

        from hotline.transcribe.settings import ModelSpec

        root = find_model_root(args.model) or args.model
        settings = replace(settings, models={language: ModelSpec(language, path=root.resolve())})
    phrases = [p.strip() for p in args.phrases.split("|") if p.strip()] if args.phrases else None
    worst = 0
    bar = tqdm(args.files, desc="transcribing", unit="file", file=sys.stderr, disable=len(args.files) < 2)
    for path in bar:
        outcome = transcribe_file(path, language, settings, phrases)
        if args.json:
            print(json.dumps({"file": str(path), **outcome.as_dict()}, ensure_ascii=False), flush=True)
        else:
            detail = outcome.text if outcome.status == DONE else f"({outcome.status}: {outcome.reason})"
            print(f"{path}: {detail}", flush=True)
        worst = max(worst, 0 if outcome.status in (DONE, EMPTY) else 1)
    return worst
