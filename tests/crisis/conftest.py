"""A hotline per module on the repository's own config.toml and plans/ (people English-first, so
the tests can listen for English sentences), with a Redis of the module's own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.crisis import make_hotline
from tests.support.lanes import starts_processes
from tests.support.sandbox import Hotline


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
@starts_processes
def h(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hotline]:
    """On both databases: team calls are claimed with UPDATE ... RETURNING, verdicts by a unique index."""
    yield from make_hotline(request, tmp_path_factory, request.param)


