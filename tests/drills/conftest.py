"""A hotline per module with a Redis of its own (as tests/lifecycle), and drills left clean between tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from hotline.base import jobs
from hotline.base.lifecycle import Actor, Channel
from hotline.base.models import Incident
from hotline.base.states import IncidentStatus
from hotline.drills import commands as drills
from hotline.drills.models import DRILL_OPEN, Drill, DrillState
from hotline.paging import commands
from hotline.service.embedded_redis import start_embedded_redis
from tests.callout import e2e
from tests.support.sandbox import Hotline


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def h(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hotline]:
    """Both databases: a drill's own storms and its safety rules live in the schema's unique keys."""
    tmp = tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1])
    redis = start_embedded_redis(tmp / "redis", persist=False)
    hotline = e2e.make_hotline(tmp, redis.url, request.param)
    yield hotline
    hotline.close()
    redis.stop()


def clean_up(h: Hotline) -> None:
    """Nothing of one test (a running drill, an open real report) may block or ring into the next."""
    actor = Actor("test", Channel.CLI)
    with h.session() as s:
        open_drills = list(s.scalars(select(Drill.id).where(Drill.state.in_(DRILL_OPEN))))
        open_incidents = list(s.scalars(select(Incident.id).where(Incident.status != IncidentStatus.CLOSED)))
    for drill_id in open_drills:
        drills.run(drills.end, drill_id, DrillState.STOPPED, actor, "test teardown")
    for incident_id in open_incidents:
        jobs.run(commands.resolve, incident_id, actor, "test teardown")
