"""Accepting one report of a storm accepts every report its callout pages (issue #25): in
Chromium at 390 and 1280 px, the list's and the incident page's confirmations name all of them,
and the incident page says that they share one callout, with a way to each of the others."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from hotline.base import jobs
from hotline.base.lifecycle import Actor, Channel
from hotline.base.models import Incident
from hotline.paging import commands
from tests.support.console import LIN, login, reputation_report, shot
from tests.support.sandbox import Hotline


@pytest.fixture(scope="module")
def storm(hotline: Hotline, speech_wav: Path) -> list[int]:
    """Three reputation reports within the storm window: one callout rings Lin Mei for all."""
    ids = [reputation_report(hotline, speech_wav, f"+88695500440{n}") for n in range(3)]
    hotline.sim.phone(LIN).expect_call(timeout=20).expect_status("ringing")
    return ids


def refs(hotline: Hotline, ids: list[int]) -> list[str]:
    with hotline.session() as s:
        return list(s.scalars(select(Incident.ref).where(Incident.id.in_(ids)).order_by(Incident.id)))


@pytest.mark.parametrize("width", [390, 1280])
def test_the_accept_dialog_names_every_report_of_the_storm(context, hotline: Hotline, storm: list[int], width: int):
    names = refs(hotline, storm)
    page = login(context.new_page())
    page.wait_for_url("**/console/incidents")
    page.set_viewport_size({"width": width, "height": 844})
    page.goto("/console/incidents")
    row = f'#incidents tr[data-incident="{storm[0]}"]'
    page.locator(f"{row} form[data-action=accept] button").click()
    page.locator("dialog#confirm[open]").wait_for()
    question = page.locator("#confirm-text").inner_text()
    assert all(ref in question for ref in names), question
    assert "all 3 are accepted" in question
    page.click("#confirm-cancel")
    assert all(ref in page.locator(f"{row} .storm").inner_text() for ref in names)

    page.goto(f"/console/incidents/{storm[1]}")
    said = page.locator("#storm").inner_text()
    assert all(ref in said for ref in names) and "accepting one accepts them all" in said
    assert sorted(page.locator("#storm a.storm-link").all_inner_texts()) == sorted([names[0], names[2]])
    page.click("#accept-form button")
    page.locator("dialog#confirm[open]").wait_for()
    question = page.locator("#confirm-text").inner_text()
    assert all(ref in question for ref in names), question
    page.click("#confirm-cancel")
    shot(page, f"storm-incident-{width}")


def test_after_the_accept_the_page_still_says_they_shared_a_callout(context, hotline: Hotline, storm: list[int]):
    names = refs(hotline, storm)
    jobs.run(commands.accept, person="lin", name="Lin Mei", incident_id=storm[2],
             actor=Actor("alice", Channel.CONSOLE))
    page = login(context.new_page())
    page.wait_for_url("**/console/incidents")
    page.goto(f"/console/incidents/{storm[0]}")
    assert "Accepted by Lin Mei" in page.locator("#now-text").inner_text()  # taken with the one accepted
    said = page.locator("#storm").inner_text()
    assert all(ref in said for ref in names) and "One callout paged" in said
