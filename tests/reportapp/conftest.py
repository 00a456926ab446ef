"""The reporting app's fixtures (collected by being here): a hotline per module and Chromium."""

from tests.support.crisis_browser import browser  # noqa: F401
from tests.support.reportapp import h  # noqa: F401
