"""Reporting app benchmark: `python3 run.py bench app_offline [--rounds 10]`.

How soon a report made with no signal reaches the hotline once the connection returns (issue
#27: within 5 s), in Chromium on a phone-sized page, against a real server. The baseline from
the same run is an online report: press to incident. Each round, offline: press (the report
waits on the phone), connection back, then the time until the incident row exists. Reports
medians and p90 in milliseconds and their ratio (the returning connection should cost about
one online report: the app sends on the browser's `online` event, not on a timer).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0]).resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)

from playwright.sync_api import sync_playwright  # noqa: E402

from hotline.service.embedded_redis import start_embedded_redis  # noqa: E402
from tests.support.console import CHROMIUM  # noqa: E402
from tests.support.crisis import write_config  # noqa: E402
from tests.support.reportapp import app_incidents, phone  # noqa: E402
from tests.support.sandbox import Hotline  # noqa: E402


def _until(h: Hotline, count: int) -> float:
    """Poll (every 5 ms) until `count` app incidents exist; the moment it saw them."""
    deadline = time.monotonic() + 60
    while app_incidents(h) < count:
        if time.monotonic() > deadline:
            raise SystemExit("a report never arrived")
        time.sleep(0.005)
    return time.monotonic()


def _ms(values: list[float]) -> str:
    p90 = sorted(values)[max(0, int(len(values) * 0.9) - 1)]
    return f"median {statistics.median(values) * 1000:7.1f} ms, p90 {p90 * 1000:7.1f} ms"


def run(rounds: int) -> int:
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        redis = start_embedded_redis(tmp / "redis", persist=False)
        h = Hotline(tmp, redis.url, config_path=write_config(tmp))
        online: list[float] = []
        offline: list[float] = []
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
                page = phone(browser, h)
                button: Callable[[], None] = page.locator("#types button").first.click
                for _ in range(rounds):
                    count = app_incidents(h)
                    pressed = time.monotonic()
                    button()
                    online.append(_until(h, count + 1) - pressed)
                    page.context.set_offline(True)
                    button()
                    page.wait_for_selector("#reports li[data-state=waiting]")
                    page.context.set_offline(False)
                    back = time.monotonic()
                    offline.append(_until(h, count + 2) - back)
                    page.wait_for_selector("#reports li[data-state=waiting]", state="detached")
                browser.close()
        finally:
            h.close()
            redis.stop()
    print(f"online report, press to incident:          {_ms(online)}")
    print(f"offline report, connection back to incident: {_ms(offline)}")
    print(f"ratio (offline / online, medians): {statistics.median(offline) / statistics.median(online):.2f}; "
          f"slowest offline delivery {max(offline):.2f} s (target: within 5 s)")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=10)
    return run(ap.parse_args().rounds)


if __name__ == "__main__":
    raise SystemExit(main())
