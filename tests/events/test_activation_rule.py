"""An "activate" event rule end to end, on the sim: an earthquake event over the repository's
`major_quake` threshold (magnitude >= 6.5) is paged like any report and activates the natural
disaster plan by the system: the crisis row is active and every team member's phone rings."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from hotline.base.models import utcnow
from hotline.crisis import team
from hotline.crisis.models import Crisis, CrisisState
from hotline.crisis.settings import CrisisSettings
from hotline.rotas.policy import OncallSettings
from tests.support.crisis import make_hotline
from tests.support.events import add_integration, alerts_for, post, trigger
from tests.support.lanes import starts_processes
from tests.support.sandbox import Hotline


@pytest.fixture(scope="module")
@starts_processes
def h(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hotline]:
    """The repository's config.toml and plans/ (its natural_disaster rules include major_quake)."""
    yield from make_hotline(request, tmp_path_factory, "sqlite")


def _team_numbers(h: Hotline) -> set[str]:
    plan = h.config.section(CrisisSettings).plans["natural_disaster"]
    return {h.config.people[seat.person].phone for seat in team.leads(plan, h.config.section(OncallSettings).rotas,
                                                                      utcnow())}


def _crisis(h: Hotline, incident_id: int) -> Crisis | None:
    with h.session() as s:
        return s.scalar(select(Crisis).where(Crisis.incident_id == incident_id))


def test_a_quake_over_the_threshold_pages_and_activates_the_plan(h: Hotline) -> None:
    numbers = _team_numbers(h)
    for phone in numbers:
        h.sim.phone(phone).manual()
    key = add_integration(h, "cwa-quakes", "natural_disaster").key
    r = post(h, trigger(key, "quake-1", summary="M7.1 near Hualien", magnitude=7.1))
    assert r.status_code == 202, r.text
    incident_id = alerts_for(h, "quake-1")[0].incident_id

    crisis = _crisis(h, incident_id)
    assert crisis is not None and crisis.state == CrisisState.ACTIVE
    assert crisis.decided_by == "system" and crisis.decided_via == "system"
    kinds = [e.kind for e in h.audit(incident_id)]
    # The first law first: reported and paged through paging's commands, then the plan activated.
    assert kinds.index("event_received") < kinds.index("crisis.activated") < kinds.index("event_activated")
    assert next(e for e in h.audit(incident_id, "event_activated")).detail["rule"] == "natural_disaster.major_quake"
    h.wait_for(lambda: numbers <= {c.to for c in h.sim.call_objects()
                                   if "/voice/crisis/answer" in (c.options.url or "")},
               what="a call to every team member")
    h.wait_for(lambda: any("/voice/callout/" in (c.options.url or "") for c in h.sim.call_objects()),
               what="the incident's callout")


def test_a_quake_under_the_threshold_is_paged_and_activates_nothing(h: Hotline) -> None:
    key = add_integration(h, "cwa-small", "natural_disaster").key
    assert post(h, trigger(key, "quake-2", summary="M5.5 offshore", magnitude=5.5)).status_code == 202
    incident_id = alerts_for(h, "quake-2")[0].incident_id
    assert _crisis(h, incident_id) is None
    assert not h.audit(incident_id, "event_activated")
