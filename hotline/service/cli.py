"""Commands of `run.py`. Each is small; `all` hands over to the supervisor."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from hotline.base.config import ROOT, Config, ConfigError, load_config
from hotline.base.registry import Command, registry

CORE_USAGE = (
    ("(none) | all", "run everything: embedded Redis, web (gunicorn), workers, and the sim if no Twilio account"),
    ("web", "the web app only (gunicorn)"),
    ("worker [QUEUES]", "an RQ worker: callout, recordings, default; `worker broadcasts`, `worker transcribe` apart"),
    ("engine", "the convergence cycle (paging, watchdogs, repairs); one per worker node is fine"),
    ("metrics", "/metrics for a worker node's processes (HOTLINE_METRICS_BIND, HOTLINE_METRICS_TOKEN)"),
    ("sim", "the local Twilio stand-in on its own (see --help)"),
    ("check", "validate config.toml, ivr_flows/ and plans/, print a summary"),
    ("call", "place a first call to the running hotline from a sim phone, and follow it"),
    ("fallback-twiml", "print TwiML to paste into a TwiML Bin for when the server is down"),
    ("prompts list|upload|rollback", "recorded prompts (upload takes any format ffmpeg reads)"),
    ("pins set WHO", "set the admin, operator or a person's PIN (stored hashed in data/)"),
    ("db current|upgrade", "the database schema's revision; upgrade it (see README \"Upgrading\")"),
    ("backup DIR", "database, recordings, prompts and PIN hashes, with sha256 checksums"),
    ("restore DIR [--overwrite]", "put a backup into this data dir (refuses a non-empty one)"),
    ("darksite export DIR", "write the public dark site as static files"),
    ("test [--fast] [pytest args]", "run the test suite"),
    ("lint", "the code checks CI runs: ruff, lint-imports (the layer and independence contracts), mypy"),
    ("bench NAME [ARGS]", "run a benchmark from bench/ (storm, webhooks, webhook_load, ...; --help lists them)"),
)


def usage() -> str:
    """`run.py help`: the service's commands, then every feature's (from the registry)."""
    rows = [*CORE_USAGE, *((f"{c.name} {c.args}", c.summary) for c in registry().commands.values())]
    width = max(len(name) for name, _ in rows) + 2
    lines = "\n".join(f"  {name.ljust(width)}{what}" for name, what in rows)
    return (f"usage: python3 run.py [COMMAND]\n\n{lines}\n\n"
            "`python3 run.py COMMAND --help` explains a command without running it.\n")


# `COMMAND --help` for the commands without an argument parser of their own; the others
# (sim, models, transcribe, callout, users, test, bench) answer --help themselves.
HELP = {
    "all": "usage: python3 run.py [all]\n\nRun the whole hotline, one instance per data dir: embedded Redis,\n"
           "gunicorn, RQ workers, the engine, and the sim when no Twilio account is set. Children that\n"
           "exit are restarted; /healthz answers 503 naming what is down.",
    "web": "usage: python3 run.py web [GUNICORN ARGS]\n\nThe web app only, under gunicorn.",
    "worker": "usage: python3 run.py worker [QUEUE ...]\n\nOne RQ worker; by default callout, recordings and\n"
              "default; `worker transcribe` for Vosk. Needs REDIS_URL.",
    "engine": "usage: python3 run.py engine\n\nThe convergence cycle on its own: pages what is due, drives overdue\n"
              "callouts, repairs what a lost job left undone. Needs the database only. Run one on each\n"
              "worker node: a lease in the database lets one pass run at a time across all of them.",
    "metrics": "usage: python3 run.py metrics\n\n/metrics for the processes of a node without a web role (a worker\n"
               "node), on HOTLINE_METRICS_BIND (default 127.0.0.1:9464), behind the bearer token in\n"
               "HOTLINE_METRICS_TOKEN. Web nodes serve /metrics themselves.",
    "check": "usage: python3 run.py check\n\nValidate config.toml, ivr_flows/ and plans/ and print a summary;\n"
             "exit 2 on problems. `python3 run.py` runs the same checks before it starts anything.",
    "call": "usage: python3 run.py call\n\nPlace a first call to the running hotline from a simulated phone, then\n"
            "follow its incident for a while: recording, transcript, who is being called.",
    "fallback-twiml": "usage: python3 run.py fallback-twiml\n\nPrint TwiML to paste into a TwiML Bin, for when\n"
                      "the server is down.",
    "prompts": "usage: python3 run.py prompts list | upload NAME LANG FILE | rollback NAME LANG",
    "darksite": "usage: python3 run.py darksite export DIR\n\nWrite the public dark site (/site/) as static\n"
                "files (index.html, LANG/index.html, Atom feeds, site.css) for any web server to serve.",
    "pins": "usage: python3 run.py pins set admin|operator|PERSON [--pin DIGITS]\n\nStored hashed in\n"
            "data/pins.json, never in git.",
}


def _config_or_exit() -> Config:
    """The config, or exit 2 with one line per problem (file, key, value and the fix)."""
    try:
        return load_config()
    except ConfigError as exc:
        from hotline.service.preflight import config_lines

        print("\n".join(config_lines(exc)), file=sys.stderr)
        raise SystemExit(2) from None


def cmd_check(argv: list[str]) -> int:
    from hotline.base.prompts import published_prompt
    from hotline.service.preflight import PreflightError, validate_flows

    cfg = _config_or_exit()
    try:
        flows = validate_flows(cfg)
    except PreflightError as exc:
        print(exc, file=sys.stderr)
        return 2
    flow = flows[cfg.flow]
    print(f"config {cfg.path}: OK")
    print(f"  organisation: {cfg.org_name} ({cfg.timezone})")
    print(f"  hotline numbers: {', '.join(cfg.numbers)}")
    print(f"  public URL: {cfg.public_url}")
    print(f"  languages: {', '.join(cfg.languages)}")
    said = {lang: cfg.voices.say(lang) for lang in cfg.languages}
    print("  <Say> voices (Twilio documents each pair): "
          + ", ".join(f"{lang} {v['voice']} (language={v['language']})" for lang, v in said.items()))
    twilio = f"account {cfg.twilio.account_sid}" if cfg.twilio.configured else "not configured (sim)"
    print(f"  Twilio: {twilio}")
    menu = flow.nodes[flow.start]
    keys = {o.type: o.key for o in menu.options if o.type}
    print("  incident types:")
    for key, t in cfg.incident_types.items():
        names = " / ".join(t.names.get(lang, "?") for lang in cfg.languages)
        print(f"    [{keys.get(key, '-')}] {key}: {names}")
    print(f"  people: {len(cfg.people)}; operators (by caller ID): {len(cfg.operators)}; sites: {len(cfg.sites)}")
    for feature in registry().features:
        if feature.check is not None:
            print("\n".join(feature.check(cfg)))
    for f in flows.values():
        print(f"flow {f.path}: OK, {len(f.nodes)} nodes, start at {f.start!r}")
    print("  prompts (recorded = published audio, else text-to-speech):")
    for name in sorted({p for f in flows.values() for p in f.prompts}):
        states = [f"{lang}={'recorded' if published_prompt(cfg.recordings_dir, name, lang) else 'TTS'}"
                  for lang in cfg.languages]
        print(f"    {name}: {', '.join(states)}")
    return 0


def cmd_fallback_twiml(argv: list[str]) -> int:
    from hotline.ivr.fallback import twiml_bin

    cfg = _config_or_exit()
    print(twiml_bin(cfg.public_url, cfg.record_max_seconds, cfg.voices))
    return 0


def cmd_web(argv: list[str]) -> int:
    from hotline.service.metrics_dir import export_for_children
    from hotline.service.supervisor import gunicorn_argv

    cfg = _config_or_exit()
    export_for_children(cfg.data_dir)
    os.execv(sys.executable, [sys.executable, *gunicorn_argv(cfg), *argv])


def cmd_worker(argv: list[str]) -> int:
    """worker [QUEUE ...]: by default callout, recordings and default; `worker transcribe` for Vosk."""
    from hotline.service.metrics_dir import export_for_children
    from hotline.service.supervisor import WORKER_QUEUES, worker_argv, worker_env

    cfg = _config_or_exit()
    if not cfg.redis_url:
        print("run.py worker: set REDIS_URL (or [redis] url) to the Redis the web app uses", file=sys.stderr)
        return 2
    queues = tuple(argv) or WORKER_QUEUES
    export_for_children(cfg.data_dir)
    os.environ.update(worker_env(cfg.redis_url))
    os.execv(sys.executable, [sys.executable, *worker_argv(queues)])


def cmd_engine(argv: list[str]) -> int:
    from hotline.service.metrics_dir import export_for_children
    from hotline.service.supervisor import ENGINE_ARGV

    cfg = _config_or_exit()
    export_for_children(cfg.data_dir)
    os.execv(sys.executable, [sys.executable, *ENGINE_ARGV])


def cmd_metrics(argv: list[str]) -> int:
    from hotline.service.metrics_dir import export_for_children

    cfg = _config_or_exit()
    export_for_children(cfg.data_dir)
    os.execv(sys.executable, [sys.executable, "-m", "hotline.service.metrics_server"])


def cmd_all(argv: list[str]) -> int:
    from hotline.service.supervisor import run_all

    return run_all(_config_or_exit())


def cmd_sim(argv: list[str]) -> int:
    from sim.cli import main

    return main(argv)


def cmd_call(argv: list[str]) -> int:
    from hotline.service.first_call import main

    return main(argv)


def cmd_prompts(argv: list[str]) -> int:
    """prompts list | upload NAME LANG FILE | rollback NAME LANG"""
    from hotline.base import prompt_store
    from hotline.ivr.flow import load_flows

    cfg = _config_or_exit()
    flows = load_flows(cfg)
    names = sorted({p for f in flows.values() for p in f.prompts})
    try:
        if argv[:1] == ["list"] or not argv:
            for name in names:
                states = [prompt_store.state(cfg.recordings_dir, name, lang) for lang in cfg.languages]
                shown = ", ".join(f"{st.lang}=" + (f"recorded v{st.published}" if st.recorded else "TTS")
                                  + (f" ({len(st.versions)} versions)" if st.versions else "") for st in states)
                print(f"{name}: {shown}")
            return 0
        if argv[0] == "upload" and len(argv) == 4:
            name, lang, path = argv[1], argv[2], argv[3]
            _known_prompt(name, lang, names, cfg.languages)
            version = prompt_store.add_version(cfg.recordings_dir, name, lang, Path(path).read_bytes())
            prompt_store.publish(cfg.recordings_dir, name, lang, version)
            _audit_prompt("prompt_uploaded", name, lang, version)
            print(f"{name} {lang}: version {version} published")
            return 0
        if argv[0] == "rollback" and len(argv) == 3:
            name, lang = argv[1], argv[2]
            _known_prompt(name, lang, names, cfg.languages)
            restored = prompt_store.rollback(cfg.recordings_dir, name, lang)
            _audit_prompt("prompt_rolled_back", name, lang, restored)
            print(f"{name} {lang}: " + (f"version {restored} published" if restored else "back to text-to-speech"))
            return 0
    except (prompt_store.PromptError, OSError) as exc:
        print(f"prompts: {exc}", file=sys.stderr)
        return 1
    print("usage: run.py prompts list | upload NAME LANG FILE | rollback NAME LANG", file=sys.stderr)
    return 2


def _known_prompt(name: str, lang: str, names: list[str], languages: tuple[str, ...]) -> None:
    from hotline.base.prompt_store import PromptError

    if name not in names:
        raise PromptError(f"no prompt {name!r} in ivr_flows/; one of: {', '.join(names)}")
    if lang not in languages:
        raise PromptError(f"{lang!r} is not in hotline.languages {list(languages)}")


def _audit_prompt(kind: str, name: str, lang: str, version: int | None) -> None:
    from hotline.base import audit
    from hotline.base.db import create_schema
    from hotline.base.runtime import get_runtime

    db = get_runtime().db
    create_schema(db.engine)
    with db.session() as s:
        audit.record(s, kind, None, actor=os.environ.get("USER", "admin"), prompt=name, lang=lang, version=version,
                     via="cli")


def cmd_pins(argv: list[str]) -> int:
    """pins set admin|operator|PERSON [--pin DIGITS]: stored hashed in data/pins.json, never in git."""
    import getpass

    from hotline.base.pins import set_pin

    cfg = _config_or_exit()
    if len(argv) < 2 or argv[0] != "set":
        print("usage: run.py pins set admin|operator|PERSON [--pin DIGITS]", file=sys.stderr)
        return 2
    who = argv[1]
    if who not in ("admin", "operator") and who not in cfg.people:
        print(f"pins: {who!r} is neither admin, operator nor a person in config.toml", file=sys.stderr)
        return 2
    pin = argv[argv.index("--pin") + 1] if "--pin" in argv else getpass.getpass(f"PIN for {who}: ")
    try:
        set_pin(cfg.data_dir, who if who in ("admin", "operator") else f"person:{who}", pin)
    except ValueError as exc:
        print(f"pins: {exc}", file=sys.stderr)
        return 2
    print(f"PIN for {who} stored (hashed) in {cfg.data_dir / 'pins.json'}")
    return 0


def cmd_db(argv: list[str]) -> int:
    from hotline.service.db_cli import main

    if not any(a in HELP_FLAGS for a in argv):  # its parser answers --help without a config
        _config_or_exit()
    return main(argv)


def cmd_backup(argv: list[str]) -> int:
    from hotline.service.backup_cli import backup_main

    return backup_main(_config_or_exit, argv)


def cmd_restore(argv: list[str]) -> int:
    from hotline.service.backup_cli import restore_main

    return restore_main(_config_or_exit, argv)


def cmd_darksite(argv: list[str]) -> int:
    """darksite export DIR: the public dark site as static files, to serve from anywhere."""
    if len(argv) != 2 or argv[0] != "export":
        print("usage: run.py darksite export DIR", file=sys.stderr)
        return 2
    from hotline.crisis.darksite.export import export
    from hotline.service.app import create_app

    cfg = _config_or_exit()
    written = export(create_app(cfg), Path(argv[1]), cfg.languages)
    for path in written:
        print(path)
    if not any(p.name == "index.html" for p in written):
        print("darksite: dormant (404 by choice): only site.css was written", file=sys.stderr)
    return 0


LINTERS: tuple[tuple[str, list[str]], ...] = (("ruff", ["check", "."]), ("lint-imports", ["--no-cache"]), ("mypy", []))


def cmd_lint(argv: list[str]) -> int:
    """ruff, lint-imports and mypy over the tree, as CI and the pre-commit hooks run them; every
    tool runs, and the exit code says whether any failed."""
    if any(a in ("-h", "--help") for a in argv):
        print("usage: python3 run.py lint\n\nRun ruff, lint-imports (the import contracts in pyproject.toml) and "
              "mypy (its\nconfiguration in pyproject.toml) over the tree, as CI does.")
        return 0
    bin_dir = Path(sys.executable).parent
    failed = []
    for tool, args in LINTERS:
        if not (bin_dir / tool).exists():
            print(f"run.py lint: {tool} is not installed in {bin_dir} (it is in pyproject.toml's test extra)",
                  file=sys.stderr)
            failed.append(tool)
            continue
        print(f"== {tool}", flush=True)
        if subprocess.call([str(bin_dir / tool), *args], cwd=ROOT) != 0:
            failed.append(tool)
    if failed:
        print(f"run.py lint: {', '.join(failed)} failed", file=sys.stderr)
        return 1
    return 0


def cmd_test(argv: list[str]) -> int:
    return subprocess.call([sys.executable, "-m", "pytest", *argv], cwd=ROOT)


BENCH = ROOT / "bench"


def benchmarks() -> list[str]:
    """The scripts in bench/ that run on their own (the others are their shared parts)."""
    return sorted(p.stem for p in BENCH.glob("*.py") if "if __name__ == \"__main__\":" in p.read_text())


def cmd_bench(argv: list[str]) -> int:
    """A benchmark, run with this environment's Python: the benches import the app and its packages,
    which a bare `python3 bench/NAME.py` outside `.venv/` does not have."""
    names = benchmarks()
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python3 run.py bench NAME [ARGS]   (`bench NAME --help` for its options)\n\n"
              "Benchmarks, each reporting ratios against a baseline measured in the same run:\n  "
              + "\n  ".join(names))
        return 0
    if argv[0] not in names:
        print(f"run.py bench: no benchmark {argv[0]!r}; one of: {', '.join(names)}", file=sys.stderr)
        return 2
    return subprocess.call([sys.executable, str(BENCH / f"{argv[0]}.py"), *argv[1:]], cwd=ROOT)


def cmd_help(argv: list[str]) -> int:
    print(usage())
    return 0


COMMANDS: dict[str, Callable[[list[str]], int]] = {
    "all": cmd_all, "web": cmd_web, "worker": cmd_worker, "engine": cmd_engine, "metrics": cmd_metrics,
    "sim": cmd_sim, "check": cmd_check, "call": cmd_call, "fallback-twiml": cmd_fallback_twiml,
    "test": cmd_test, "lint": cmd_lint, "bench": cmd_bench, "prompts": cmd_prompts, "pins": cmd_pins, "db": cmd_db,
    "backup": cmd_backup, "restore": cmd_restore, "darksite": cmd_darksite,
    "help": cmd_help, "--help": cmd_help, "-h": cmd_help,
}


def _feature_command(command: Command) -> Callable[[list[str]], int]:
    def run(argv: list[str]) -> int:
        if command.needs_config:
            _config_or_exit()
        return command.run(argv)

    return run


HELP_FLAGS = ("-h", "--help")
# Commands that start or are the hotline's own processes; every other command acts on a hotline
# and joins the one running for its data dir (its embedded Redis and sim, named in run.json).
SERVICE = frozenset({"all", "web", "worker", "engine", "metrics", "sim", "test", "lint", "bench", "check",
                     "help", "--help", "-h"})


def _join_running_hotline() -> None:
    """So `run.py callout stop` beside a running `run.py` queues its follow-ups in the embedded
    Redis (the calls end now, not at the next cycle) and `run.py drill start` knows the hotline
    plays Twilio with the sim: both live only in run.json."""
    from hotline.service.instance import join_running

    try:
        cfg = load_config()
    except ConfigError:
        return  # the command's own config check says what is wrong
    join_running(cfg.data_dir, os.environ)


def dispatch(command: str, argv: list[str]) -> int:
    handler = COMMANDS.get(command)
    feature = registry().commands.get(command) if handler is None else None
    if handler is None and feature is None:
        print(f"unknown command {command!r}\n\n{usage()}", file=sys.stderr)
        return 2
    if any(a in HELP_FLAGS for a in argv):  # before any config is read: the help works on a broken one
        if command in HELP:
            print(HELP[command])
            return 0
        if feature is not None:
            if feature.help:
                print(feature.help)
                return 0
            return feature.run(argv)  # its own parser prints the help
    if command not in SERVICE:
        _join_running_hotline()
    return (handler or _feature_command(feature))(argv)  # type: ignore[arg-type]
