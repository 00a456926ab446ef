"""Start-up checks, run before `run.py` starts anything: each failure is one line with the fix.

`run.py check` validates config and flows with `validate_flows` too, so the two agree.
"""

from __future__ import annotations

import errno
import os
import shutil
import socket
from urllib.parse import urlparse

import psutil

from hotline.base.config import Config, ConfigError
from hotline.ivr.flow import Flow, load_flows
from hotline.service.embedded_redis import redis_server_binary


class PreflightError(Exception):
    """One or more problems, each a one-line message naming the fix."""

    def __init__(self, lines: list[str]):
        self.lines = lines
        super().__init__("\n".join(lines))


def config_lines(exc: ConfigError) -> list[str]:
    return [f"run.py: {p}" for p in exc.problems]


def validate_flows(cfg: Config) -> dict[str, Flow]:
    """The flows of `cfg`, or PreflightError with one line per problem."""
    try:
        return load_flows(cfg)
    except ConfigError as exc:
        raise PreflightError(config_lines(exc)) from None


def bind_address(cfg: Config) -> tuple[str, int]:
    """Where the web server listens: HOTLINE_BIND, else loopback at the public URL's port."""
    bind = os.environ.get("HOTLINE_BIND") or f"127.0.0.1:{urlparse(cfg.public_url).port or 8000}"
    host, _, port = bind.rpartition(":")
    return host or "0.0.0.0", int(port)


def port_problem(host: str, port: int, choose: str | None = None) -> str | None:
    """None when `port` is free; else one line naming who holds it and a port that is free now.
    `choose`: how to pick another, with {port} for the suggestion (default: the public URL)."""
    problem = _bind_error(host, port)
    if problem is None:
        return None
    if problem != "in use":
        return f"run.py: cannot listen on {host}:{port}: {problem}; set HOTLINE_BIND=host:port"
    if choose is None:
        choose = ("HOTLINE_BIND={host}:{port}" if os.environ.get("HOTLINE_BIND")
                  else "HOTLINE_PUBLIC_URL=http://127.0.0.1:{port} (or hotline.public_url in config.toml)")
    free = next_free_port(host, port)
    how = f"choose another port with {choose.format(host=host, port=free)}" if free else "choose a free port"
    return f"run.py: port {port} is already in use{_listener(port)}; stop that program, or {how}"


def next_free_port(host: str, port: int, tries: int = 50) -> int | None:
    """The first port after `port` that can be bound now (a suggestion, checked, not guessed)."""
    return next((p for p in range(port + 1, min(port + 1 + tries, 65536)) if not _bind_error(host, p)), None)


def _bind_error(host: str, port: int) -> str | None:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn does: TIME_WAIT is no obstacle
        try:
            s.bind((host, port))
        except OSError as exc:
            return "in use" if exc.errno == errno.EADDRINUSE else (exc.strerror or str(exc))
    return None


def sim_port_problem(cfg: Config, env: dict[str, str] | None = None) -> str | None:
    """HOTLINE_SIM_PORT, when the sim will start on it: a number, and free."""
    value = (os.environ if env is None else env).get("HOTLINE_SIM_PORT", "")
    if cfg.twilio.configured or not value or value == "0":
        return None
    if not value.isdigit() or not 0 < int(value) < 65536:
        return f"run.py: HOTLINE_SIM_PORT={value!r} is not a port number; give one (1-65535) or unset it"
    return port_problem("127.0.0.1", int(value),
                        choose="HOTLINE_SIM_PORT={port} (or unset it: the sim takes any free port)")


def _listener(port: int) -> str:
    try:
        for conn in psutil.net_connections(kind="tcp"):
            if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port and conn.pid:
                return f" by pid {conn.pid} ({psutil.Process(conn.pid).name()})"
    except (psutil.Error, OSError):
        pass
    return ""


def check_before_start(cfg: Config) -> None:
    """Everything `run.py` needs before it starts a child; raises PreflightError listing what fails."""
    lines: list[str] = []
    try:
        validate_flows(cfg)
    except PreflightError as exc:
        lines += exc.lines
    if shutil.which("ffmpeg") is None:
        lines.append("run.py: ffmpeg is missing (recordings and prompts are converted with it); "
                     "install it: apt-get install ffmpeg")
    if not cfg.redis_url:
        try:
            redis_server_binary()
        except RuntimeError as exc:
            lines.append(f"run.py: {exc}")
    if not os.access(cfg.data_dir, os.W_OK):
        lines.append(f"run.py: cannot write to the data dir {cfg.data_dir}; fix its permissions "
                     "or set HOTLINE_DATA_DIR")
    for problem in (port_problem(*bind_address(cfg)), sim_port_problem(cfg)):
        if problem:
            lines.append(problem)
    if lines:
        raise PreflightError(lines)
