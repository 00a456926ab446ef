"""A hotline per module for broadcast tests: the repository's config.toml and plans with a
`[broadcasts]` section whose email goes to a real local SMTP server (aiosmtpd), a worker for the
senders (and one for paging), and helpers to fill the directory and send a broadcast."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hotline.service.embedded_redis import start_embedded_redis
from tests.support.broadcasts import Mailbox, broadcast_config, config_with_broadcasts, serving
from tests.support.crisis_browser import browser  # noqa: F401  (the fixture, collected by being here)
from tests.support.lanes import starts_processes
from tests.support.sandbox import Hotline


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    yield from serving(Mailbox())


@pytest.fixture(scope="module")
@starts_processes
def h(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, mailbox: Mailbox) -> Iterator[Hotline]:
    tmp = tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1])
    redis = start_embedded_redis(tmp / "redis", persist=False)
    extra = broadcast_config(mailbox.port, getattr(request.module, "EXTRA_CONFIG", ""),
                             getattr(request.module, "SMS_PER_SECOND", 50))
    path = config_with_broadcasts(tmp, extra)
    hotline = Hotline(tmp, redis.url, config_path=path)
    hotline.start_worker("callout", "recordings", "default")
    hotline.start_worker("broadcasts")
    hotline.redis_server = redis  # type: ignore[attr-defined]
    yield hotline
    hotline.close()
    redis.stop()


