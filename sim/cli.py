"""Run the simulator standalone: `python run.py sim` calls `main(argv)`."""

from __future__ import annotations

import argparse
import signal
import threading

from sim.server import Sim


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sim", description="Local Twilio simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    clock = parser.add_mutually_exclusive_group()
    clock.add_argument("--real-time", dest="virtual", action="store_false", help="wall-clock time (default)")
    clock.add_argument(
        "--virtual-time", dest="virtual", action="store_true", help="advance via /sim/api/clock"
    )
    parser.set_defaults(virtual=False)
    parser.add_argument(
        "--number",
        action="append",
        default=[],
        metavar="NUMBER=VOICE_URL",
        help="configure an incoming number (repeatable)",
    )
    parser.add_argument("--account-sid")
    parser.add_argument("--auth-token")
    parser.add_argument("--webhook-timeout", type=float, default=15.0)
    return parser


def main(argv: list[str] | None = None, stop: threading.Event | None = None) -> int:
    """Start the simulator and block until SIGINT/SIGTERM (or `stop` is set, for embedding)."""
    args = build_parser().parse_args(argv)
    sim = Sim(
        args.account_sid, args.auth_token, virtual_time=args.virtual, webhook_timeout=args.webhook_timeout
    )
    for spec in args.number:
        number, sep, url = spec.partition("=")
        if not sep or not url:
            print(f"--number expects NUMBER=VOICE_URL, got {spec!r}")
            return 2
        sim.add_number(number, voice_url=url)
    base = sim.start(args.host, args.port)
    print(f"Twilio simulator ({'virtual' if args.virtual else 'real'} time)")
    print(f"  account SID : {sim.account_sid}")
    print(f"  auth token  : {sim.auth_token}")
    print(f"  base URL    : {base}")
    print(f"  control API : {base}/sim/api/")
    for number in sim.numbers.values():
        print(f"  number      : {number.phone_number} -> {number.voice_url}")
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
    try:
        stop.wait()
    finally:
        sim.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
