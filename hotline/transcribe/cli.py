"""`run.py models ...` and `run.py transcribe FILE...`: the operator's side of transcription.

Nothing here downloads: models come from a local zip or folder (fetched by a person on a
machine that may reach the internet), because no caller audio or model traffic leaves the building.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from hotline.base.config import ConfigError, load_config
from hotline.transcribe.engine import DONE, EMPTY, transcribe_file
from hotline.transcribe.model_files import (
    InstallError,
    check_model_dir,
    find_model_root,
    install_model,
    model_sample_rate,
)
from hotline.transcribe.settings import TranscribeSettings

MODEL_LIST = "https://alphacephei.com/vosk/models"


def _settings() -> TranscribeSettings:
    return load_config().section(TranscribeSettings)


def models_main(argv: list[str]) -> int:
    """`models` lists configured models and checks each; `models install LANG|ZIP|DIR` installs one."""
    parser = argparse.ArgumentParser(prog="run.py models", description="List, check and install Vosk models.")
    sub = parser.add_subparsers(dest="command")
    check = sub.add_parser("list", help="list configured models and check each (the default)")
    check.add_argument("--load", action="store_true", help="also load each model with Vosk (slow, thorough)")
    inst = sub.add_parser("install", help="install a model from a local zip or directory")
    inst.add_argument("source", help="a .zip or directory holding a Vosk model (or a language tag)")
    inst.add_argument("--dir", type=Path, help="target directory (default: transcribe.models_dir)")
    inst.add_argument("--name", help="directory name for the model (default: from the source)")
    inst.add_argument("--force", action="store_true", help="replace an existing model of that name")
    args = parser.parse_args(argv or ["list"])
    try:
        settings = _settings()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    if args.command == "install":
        return _install(args, settings)
    return _list(settings, load=args.load)


def _list(settings: TranscribeSettings, load: bool) -> int:
    if not settings.models:
        print("no models configured: add [transcribe.models] to config.toml; recordings will be `skipped`")
        return 0
    bad = 0
    for language, spec in sorted(settings.models.items()):
        try:
            directory = spec.resolve()
            problems = check_model_dir(directory)
        except FileNotFoundError as exc:
            directory, problems = None, [str(exc)]
        if not problems and load:
            from hotline.transcribe.model_cache import ModelLoadError, get_model

            try:
                loaded = get_model(spec)
                problems = []
                print(f"  (loaded in {loaded.load_seconds:.1f}s)")
            except ModelLoadError as exc:
                problems = [str(exc)]
        state = "ok" if not problems else "BROKEN: " + "; ".join(problems)
        rate = f" {model_sample_rate(directory)} Hz" if directory and not problems else ""
        print(f"{language:8} {spec.label}  ->  {directory or '-'}{rate}  [{state}]")
        bad += bool(problems)
    return 1 if bad else 0


def _install(args: argparse.Namespace, settings: TranscribeSettings) -> int:
    source = Path(args.source)
    if not source.exists():
        print(f"{args.source}: no such file or directory. This hotline does not download models: "
              f"fetch the zip for your language from {MODEL_LIST} elsewhere, "
              "then `run.py models install path/to/model.zip`.", file=sys.stderr)
        return 2
    target_dir = (args.dir or settings.models_dir).resolve()
    try:
        installed = install_model(source, target_dir, name=args.name, force=args.force)
    except InstallError as exc:
        print(f"install failed: {exc}", file=sys.stderr)
        return 1
    print(f"installed {installed} ({model_sample_rate(installed)} Hz)")
    print("add to config.toml under [transcribe.models], e.g.:")
    print(f'  "xx-XX" = {{ path = "{installed}" }}')
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
