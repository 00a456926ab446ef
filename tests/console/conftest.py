"""The console's fixtures: a whole hotline plus real Chromium per test module (tests/support/console.py)."""

from tests.support.console import (  # noqa: F401  (fixtures, collected by being here)
    browser,
    context,
    hotline,
    incidents_in_each_state,
    mic_wav,
)
