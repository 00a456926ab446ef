"""The command lines of `run.py backup DIR` and `run.py restore DIR [--overwrite]` (see backup.py)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from hotline.base.config import Config
from hotline.base.db_dump import DumpError
from hotline.base.private_files import private_dir
from hotline.service.backup import BackupError, backup, restore
from hotline.service.instance import AlreadyRunning, InstanceLock


def backup_main(config: Callable[[], Config], argv: list[str], out: TextIO | None = None) -> int:
    """`config` is called once the arguments parsed: `--help` needs none."""
    out = out or sys.stdout
    parser = argparse.ArgumentParser(prog="run.py backup", description="Copy the database (consistently, while "
                                     "running), recordings, prompts and PIN hashes into DIR, with a manifest of "
                                     "sha256 checksums.")
    parser.add_argument("dir", type=Path, help="a new or empty folder")
    args = parser.parse_args(argv)
    cfg = config()
    try:
        summary = backup(cfg, args.dir)
    except (BackupError, DumpError, OSError) as exc:
        print(f"run.py backup: {exc}", file=sys.stderr)
        return 2
    print(f"backup in {args.dir}: {summary}", file=out)
    return 0


def restore_main(config: Callable[[], Config], argv: list[str], out: TextIO | None = None) -> int:
    out = out or sys.stdout
    parser = argparse.ArgumentParser(prog="run.py restore", description="Put a backup made by `run.py backup` "
                                     "into this instance's data dir (HOTLINE_DATA_DIR / config.toml), after "
                                     "checking every checksum. Stop the hotline first.")
    parser.add_argument("dir", type=Path, help="a folder made by run.py backup")
    parser.add_argument("--overwrite", action="store_true", help="replace the hotline already in the data dir")
    args = parser.parse_args(argv)
    cfg = config()
    private_dir(cfg.data_dir)
    try:
        lock = InstanceLock.acquire(cfg.data_dir, cfg.public_url)
    except AlreadyRunning as exc:
        print(f"{exc}; a running hotline cannot be restored over", file=sys.stderr)
        return 2
    try:
        summary = restore(cfg, args.dir, overwrite=args.overwrite)
    except (BackupError, DumpError, OSError) as exc:
        print(f"run.py restore: {exc}", file=sys.stderr)
        return 2
    finally:
        lock.release()
    print(f"restored from {args.dir}: {summary}. Start the hotline as usual: it upgrades the schema if needed.",
          file=out)
    return 0
