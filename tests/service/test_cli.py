"""The CLI tells the story and never acts on `--help`; start-up problems are one line each."""

from __future__ import annotations

import importlib.util
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from werkzeug.security import check_password_hash

from hotline.base.config import ROOT, load_config
from hotline.base.registry import registry
from hotline.service import cli, preflight

pytestmark = pytest.mark.slow  # starts run.py as a process


@pytest.mark.parametrize("command", sorted(set(cli.COMMANDS) - {"help", "--help", "-h", "test"}))
def test_every_command_answers_help_without_acting(command: str, capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch):
    def acted(*_a: object, **_k: object) -> None:
        raise AssertionError("--help must not start anything")

    monkeypatch.setattr(cli.os, "execv", acted)
    monkeypatch.setattr("hotline.service.first_call.Phone.dial", acted)
    monkeypatch.setattr("hotline.service.supervisor.run_all", acted)
    try:
        code = cli.dispatch(command, ["--help"])
    except SystemExit as exc:  # argparse's --help
        code = exc.code
    assert code == 0
    assert "usage" in capsys.readouterr().out.lower()


def test_every_command_answers_help_even_when_the_config_is_broken(tmp_path: Path):
    """`--help` is read before config.toml: a broken one must not hide how to use a command."""
    broken = tmp_path / "config.toml"
    broken.write_text("[hotline\nnumbers = [", encoding="utf-8")
    env = {**os.environ, "HOTLINE_CONFIG": str(broken)}
    code = ("import sys\nfrom hotline.service import cli\nfrom hotline.base.registry import registry\n"
            "names = sorted(set(cli.COMMANDS) - {'help', '--help', '-h', 'test', 'lint'} | set(registry().commands))\n"
            "bad = []\n"
            "for name in names:\n"
            "    try:\n        code = cli.dispatch(name, ['--help'])\n"
            "    except SystemExit as exc:\n        code = exc.code\n"
            "    if code != 0: bad.append(name)\n"
            "print('BAD', bad)\n")
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert "BAD []" in done.stdout, done.stdout[-3000:] + done.stderr[-3000:]
    assert "configuration problem" not in done.stdout + done.stderr


def test_run_py_help_lists_only_subcommands_that_exist(capsys: pytest.CaptureFixture[str]):
    """`callout list|stop|...` in `run.py help` is what `run.py callout --help` accepts."""
    for name, command in registry().commands.items():
        if "|" not in command.args:
            continue
        segments = [seg.split() for seg in command.args.split("|")]
        # the first word of each alternative, but not the values of an option (`--role admin|viewer`)
        listed = [seg[0] for i, seg in enumerate(segments) if seg and re.fullmatch(r"[a-z][a-z-]*", seg[0])
                  and not (i and len(segments[i - 1]) >= 2 and segments[i - 1][-2].startswith("--"))]
        try:
            command.run(["--help"])
        except SystemExit:
            pass
        choices = re.search(r"\{([^}]+)\}", capsys.readouterr().out)
        assert choices, f"`run.py {name} --help` names no subcommands"
        for word in listed:
            assert word in choices.group(1).split(","), \
                f"`run.py help` lists `{name} {word}`, which `run.py {name}` does not have"


def test_run_py_call_help_places_no_call():
    done = subprocess.run([sys.executable, str(ROOT / "run.py"), "call", "--help"], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0 and done.stdout.startswith("usage: python3 run.py call")
    assert "Calling" not in done.stdout and "not running" not in done.stderr


def test_run_py_bench_runs_a_benchmark_with_the_environment_it_needs():
    """The README's benchmark commands: a bench imports the app's packages, so it runs through
    run.py (which sets up .venv/), and a misspelt name is one line and exit 2."""
    listed = subprocess.run([sys.executable, str(ROOT / "run.py"), "bench", "--help"], capture_output=True,
                            text=True, timeout=60)
    assert listed.returncode == 0
    assert {"storm", "webhooks", "webhook_load", "webhook_cost"} <= set(listed.stdout.split())
    assert "web_server" not in listed.stdout.split()  # a shared part, not a benchmark
    ran = subprocess.run([sys.executable, str(ROOT / "run.py"), "bench", "webhook_cost", "--calls", "2"],
                         capture_output=True, text=True, timeout=180)
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert "2 reporting calls, in-process" in ran.stdout and "/voice/incoming" in ran.stdout
    wrong = subprocess.run([sys.executable, str(ROOT / "run.py"), "bench", "strom"], capture_output=True, text=True,
                           timeout=60)
    assert wrong.returncode == 2 and wrong.stderr.strip().splitlines() == [
        f"run.py bench: no benchmark 'strom'; one of: {', '.join(cli.benchmarks())}"]


def test_users_add_reads_the_password_from_stdin_and_prints_lines_to_paste():
    done = subprocess.run([sys.executable, str(ROOT / "run.py"), "users", "add", "alice", "--role", "viewer"],
                          input="correct horse battery\n", capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "[console.users.alice]" in lines and 'role = "viewer"' in lines
    hashed = next(line for line in lines if line.startswith("password_hash = ")).split('"')[1]
    assert check_password_hash(hashed, "correct horse battery")
    assert "correct horse" not in done.stdout
    short = subprocess.run([sys.executable, str(ROOT / "run.py"), "users", "add", "bob", "--role", "admin"],
                           input="short\n", capture_output=True, text=True, timeout=60)
    assert short.returncode == 1 and "at least 10" in short.stderr


def test_transcribe_says_file_not_found_before_anything_about_models():
    done = subprocess.run([sys.executable, str(ROOT / "run.py"), "transcribe", "/nonexistent.wav"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "file not found: /nonexistent.wav" in done.stderr and "model" not in done.stderr


def test_missing_ffmpeg_is_one_line_with_the_fix(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    cfg = load_config(env={"HOTLINE_DATA_DIR": str(tmp_path), "HOTLINE_PUBLIC_URL": "http://127.0.0.1:1"})
    monkeypatch.setattr(preflight.shutil, "which", lambda name: None)
    monkeypatch.setattr(preflight, "port_problem", lambda host, port: None)
    with pytest.raises(preflight.PreflightError) as err:
        preflight.check_before_start(cfg)
    assert err.value.lines == ["run.py: ffmpeg is missing (recordings and prompts are converted with it); "
                               "install it: apt-get install ffmpeg"]


def _run_py_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("run_py_under_test", ROOT / "run.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_an_apt_lock_during_bootstrap_is_one_line_and_exit_2(monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]):
    run_py = _run_py_module()
    locked = ("E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4242 (apt-get)\n"
              "E: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), is another process using it?")
    monkeypatch.setattr(run_py.shutil, "which", lambda name: None if name == "ffmpeg" else "/usr/bin/" + name)
    monkeypatch.setattr(run_py.os, "geteuid", lambda: 0)
    monkeypatch.setattr(run_py.subprocess, "run",
                        lambda argv, **kw: subprocess.CompletedProcess(argv, 100, "", locked))
    monkeypatch.setattr(run_py.sys, "stdout", io.StringIO())
    with pytest.raises(SystemExit) as exc:
        run_py._apt_install_missing()
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0] == "run.py: apt-get install ffmpeg"  # what it is doing (stderr, as all run.py says), then
    assert len(err) == 2 and "holds its lock" in err[1] and "ffmpeg" in err[1]  # one line for the failure


def test_callout_stop_with_no_hotline_running_stops_paging_and_leaves_the_rest_to_the_cycle(tmp_path: Path):
    """The embedded default with `run.py` not running: no Redis anywhere. The stop happens; the job
    that would end the calls cannot be queued, and the command says the convergence cycle does it
    (it used to end in a traceback: "no Redis URL")."""
    from hotline.base.db import create_schema
    from hotline.base.lifecycle import Actor, Channel
    from hotline.base.models import Incident, utcnow
    from hotline.base.runtime import Runtime
    from hotline.paging import commands
    from hotline.rotas.policy import OncallSettings

    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL", "HOTLINE_CONFIG",
                                                            "HOTLINE_SIM_URL")}
    env["HOTLINE_DATA_DIR"] = str(tmp_path / "data")
    runtime = Runtime(load_config(env=env))
    create_schema(runtime.db.engine)
    with runtime.db.session() as s:
        incident, _ = commands.open_report(s, type_key="other", lang="zh-TW", actor=Actor("ids", Channel.API),
                                           source="api", page_at=utcnow())
        assert commands.page(s, incident.id, runtime.config.section(OncallSettings)).code == "opened"
        ref, incident_id = incident.ref, incident.id
    done = subprocess.run([sys.executable, str(ROOT / "run.py"), "callout", "stop", str(ref), "--reason", "drill"],
                          env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr and "no Redis URL" not in done.stderr
    assert done.stdout.splitlines()[0].startswith(f"report {ref}: ")
    assert "convergence cycle" in done.stdout
    with runtime.db.session() as s:
        assert s.get(Incident, incident_id).status == "stopped"
    runtime.db.engine.dispose()
