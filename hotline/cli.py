"""Commands of `run.py`. Each is small; `all` hands over to the supervisor."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable

from hotline.config import ROOT, Config, ConfigError, load_config

USAGE = """usage: python3 run.py [COMMAND]

  (none) | all       run everything: embedded Redis, web (gunicorn), workers, and the sim if no Twilio account
  web                the web app only (gunicorn)
  worker             an RQ worker for the callout, recordings and transcribe queues
  sim                the local Twilio stand-in on its own (see --help)
  check              validate config.toml and ivr_flows/, print a summary
  call               place a first call to the running hotline from a sim phone
  fallback-twiml     print TwiML to paste into a TwiML Bin for when the server is down
  models [...]       list / check / install Vosk models
  transcribe FILE..  transcribe audio files with the configured models
  test [pytest args] run the test suite
"""


def _config_or_exit() -> Config:
    try:
        return load_config()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        raise SystemExit(2) from None


def cmd_check(argv: list[str]) -> int:
    from hotline.flow import load_flow
    from hotline.prompts import published_prompt

    cfg = _config_or_exit()
    try:
        flow = load_flow(cfg)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"config {cfg.path}: OK")
    print(f"  organisation: {cfg.org_name} ({cfg.timezone})")
    print(f"  hotline numbers: {', '.join(cfg.numbers)}")
    print(f"  public URL: {cfg.public_url}")
    print(f"  languages: {', '.join(cfg.languages)}")
    twilio = f"account {cfg.twilio.account_sid}" if cfg.twilio.configured else "not configured (sim)"
    print(f"  Twilio: {twilio}")
    menu = flow.nodes[flow.start]
    keys = {o.type: o.key for o in menu.options if o.type}
    print("  incident types:")
    for key, t in cfg.incident_types.items():
        names = " / ".join(t.names.get(lang, "?") for lang in cfg.languages)
        print(f"    [{keys.get(key, '-')}] {key}: {names}")
    print(f"  people: {len(cfg.people)}")
    print(f"flow {flow.path}: OK, {len(flow.nodes)} nodes, start at {flow.start!r}")
    print("  prompts (recorded = published audio, else text-to-speech):")
    for name in sorted(flow.prompts):
        states = [f"{lang}={'recorded' if published_prompt(cfg.recordings_dir, name, lang) else 'TTS'}"
                  for lang in cfg.languages]
        print(f"    {name}: {', '.join(states)}")
    return 0


def cmd_fallback_twiml(argv: list[str]) -> int:
    from hotline.fallback import fallback_twiml

    cfg = _config_or_exit()
    print(fallback_twiml(cfg.public_url, cfg.record_max_seconds, standalone=True))
    return 0


def cmd_web(argv: list[str]) -> int:
    from hotline.supervisor import gunicorn_argv

    cfg = _config_or_exit()
    os.execv(sys.executable, [sys.executable, *gunicorn_argv(cfg), *argv])


def cmd_worker(argv: list[str]) -> int:
    from hotline.supervisor import worker_argv

    _config_or_exit()
    os.execv(sys.executable, [sys.executable, *worker_argv(os.environ.get("REDIS_URL", "")), *argv])


def cmd_all(argv: list[str]) -> int:
    from hotline.supervisor import run_all

    return run_all(_config_or_exit())


def cmd_sim(argv: list[str]) -> int:
    from sim.cli import main

    return main(argv)


def cmd_call(argv: list[str]) -> int:
    from hotline.first_call import main

    return main(argv)


def cmd_models(argv: list[str]) -> int:
    from transcribe.cli import models_main

    return models_main(argv)


def cmd_transcribe(argv: list[str]) -> int:
    from transcribe.cli import transcribe_main

    return transcribe_main(argv)


def cmd_test(argv: list[str]) -> int:
    return subprocess.call([sys.executable, "-m", "pytest", *argv], cwd=ROOT)


def cmd_help(argv: list[str]) -> int:
    print(USAGE)
    return 0


COMMANDS: dict[str, Callable[[list[str]], int]] = {
    "all": cmd_all, "web": cmd_web, "worker": cmd_worker, "sim": cmd_sim, "check": cmd_check,
    "call": cmd_call, "fallback-twiml": cmd_fallback_twiml, "models": cmd_models,
    "transcribe": cmd_transcribe, "test": cmd_test, "help": cmd_help, "--help": cmd_help, "-h": cmd_help,
}


def dispatch(command: str, argv: list[str]) -> int:
    handler = COMMANDS.get(command)
    if handler is None:
        print(f"unknown command {command!r}\n\n{USAGE}", file=sys.stderr)
        return 2
    return handler(argv)
