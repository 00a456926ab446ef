"""Issue #24 findings 12 and 13 on the console and the public dark site of a running app (no phones):
control characters in an approved statement broke the Atom feed; a crisis step or statement id
was acted on whatever incident the URL named; an unpublished prompt take was public."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from xml.etree import ElementTree as ET

import pytest
from sqlalchemy import select

from hotline.base import prompt_store
from hotline.base.jobs import run
from hotline.base.lifecycle import Actor, Channel
from hotline.base.models import Incident
from hotline.crisis import commands as crisis
from hotline.crisis.models import Crisis, CrisisStatement, CrisisStep, StatementState
from hotline.service.embedded_redis import start_embedded_redis
from tests.crisis.conftest import client_for, write_config
from tests.support.sandbox import Hotline

ATOM = "{http://www.w3.org/2005/Atom}"
ALICE = Actor("alice", Channel.CONSOLE)


@pytest.fixture(scope="module")
def h(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hotline]:
    """No worker: the team's calls queued by an activation are not needed here."""
    tmp = tmp_path_factory.mktemp("crisis-urls")
    redis = start_embedded_redis(tmp / "redis", persist=False)
    hotline = Hotline(tmp, redis.url, "sqlite", config_path=write_config(tmp))
    yield hotline
    hotline.close()
    redis.stop()


def _crisis(h: Hotline, ref: str) -> tuple[int, int]:
    """(incident id, crisis id) of a cyber-security report with its plan activated."""
    with h.session() as s:
        row = Incident(type_key="cyber_security", language="en-US", ref=ref, accepted_by="chen", status="accepted")
        s.add(row)
        s.flush()
        incident_id = row.id
    assert run(crisis.activate, incident_id, h.config, ALICE, acceptor_only=False).ok
    with h.session() as s:
        return incident_id, s.scalars(select(Crisis.id).where(Crisis.incident_id == incident_id)).one()


def test_finding_12_control_characters_in_an_approved_statement_keep_the_feed_valid_xml(h: Hotline):
    incident_id, crisis_id = _crisis(h, "1201")
    alice, bob = client_for(h, "alice"), client_for(h, "bob")
    base = f"/console/incidents/{incident_id}/crisis"
    text = "Systems\x00 are\x01 back\x08 at\x0b 12:00\x0c.\x1b[31m Next\x1f update\ufffe at 14:00.\tThanks\r\n"
    alice.post(f"{base}/{crisis_id}/statements", data={"csrf_token": alice.csrf, "body_en-US": text})
    with h.session() as s:
        statement = s.scalars(select(CrisisStatement).where(CrisisStatement.crisis_id == crisis_id)).one()
        statement_id, stored = statement.id, statement.bodies["en-US"]
    assert stored == "Systems are back at 12:00.[31m Next update at 14:00.\tThanks"  # cleaned when drafted
    bob.post(f"{base}/statements/{statement_id}/approve", data={"csrf_token": bob.csrf})
    alice.post(f"{base}/{crisis_id}/dark-site", data={"csrf_token": alice.csrf, "on": "1"})
    # a row stored before the fix still has them: the feed cleans on the way out too
    with h.session() as s:
        s.get(CrisisStatement, statement_id).bodies = {"en-US": "Old\x02 row\x03 text", "zh-TW": "舊\x07資料"}
    public = h.app.test_client()
    for lang in ("en-US", "zh-TW"):
        feed = public.get(f"/site/{lang}/feed.atom")
        assert feed.status_code == 200
        root = ET.fromstring(feed.data)  # raises on invalid XML
        bodies = [e.findtext(f"{ATOM}content") for e in root.iter(f"{ATOM}entry")]
        assert ("Old row text" if lang == "en-US" else "舊資料") in bodies
    assert public.get("/site/en-US/").status_code == 200
    alice.post(f"{base}/{crisis_id}/dark-site", data={"csrf_token": alice.csrf, "on": "0"})


def test_finding_13_crisis_step_and_statement_ids_are_checked_against_the_incident_in_the_url(h: Hotline):
    a, _crisis_a = _crisis(h, "1301")
    b, crisis_b = _crisis(h, "1302")
    alice, bob = client_for(h, "alice"), client_for(h, "bob")
    with h.session() as s:
        step_b = s.scalars(select(CrisisStep.id).where(CrisisStep.crisis_id == crisis_b)).first()
    assert run(crisis.draft_statement, crisis_b, {"en-US": "B's own draft"}, Actor("alice", Channel.CONSOLE)).ok
    with h.session() as s:
        statement_b = s.scalars(select(CrisisStatement.id).where(CrisisStatement.crisis_id == crisis_b)).one()

    wrong = f"/console/incidents/{a}/crisis"
    alice.post(f"{wrong}/steps/{step_b}", data={"csrf_token": alice.csrf, "done": "1"})
    alice.post(f"{wrong}/{crisis_b}/statements", data={"csrf_token": alice.csrf, "body_en-US": "via A's page"})
    bob.post(f"{wrong}/statements/{statement_b}/approve", data={"csrf_token": bob.csrf})
    alice.post(f"{wrong}/{crisis_b}/dark-site", data={"csrf_token": alice.csrf, "on": "1"})
    with h.session() as s:
        assert s.get(CrisisStep, step_b).done_at is None
        assert [st.bodies for st in s.scalars(select(CrisisStatement).where(CrisisStatement.crisis_id == crisis_b))] \
            == [{"en-US": "B's own draft"}]
        assert s.get(CrisisStatement, statement_b).state == StatementState.DRAFT
        assert s.get(Crisis, crisis_b).dark_site_on is False

    right = f"/console/incidents/{b}/crisis"  # the same buttons on B's own page work
    alice.post(f"{right}/steps/{step_b}", data={"csrf_token": alice.csrf, "done": "1"})
    bob.post(f"{right}/statements/{statement_b}/approve", data={"csrf_token": bob.csrf})
    with h.session() as s:
        assert s.get(CrisisStep, step_b).done_at is not None
        assert s.get(CrisisStatement, statement_b).state == StatementState.PUBLISHED


def test_finding_13_an_unpublished_prompt_take_is_not_downloadable_without_login(h: Hotline, tmp_path):
    from hotline.web.keys import take_query  # what the admin menu signs its <Play> URL with

    source = tmp_path / "take.wav"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=1.5", "-y",
                    str(source)], check=True)
    version = prompt_store.add_version(h.config.recordings_dir, "greeting", "en-US", source.read_bytes())
    anyone = h.app.test_client()
    path = f"/prompts/greeting/en-US/v{version}.wav"
    assert anyone.get(path).status_code == 404
    signed = take_query(h.config, "greeting", "en-US", version)
    assert anyone.get(path, query_string=signed).status_code == 200  # the admin's own <Play> in the call
    assert anyone.get(path, query_string={**signed, "s": "0" * 64}).status_code == 404
    assert anyone.get(f"/prompts/greeting/en-US/v{version + 1}.wav", query_string=signed).status_code == 404
    expired = take_query(h.config, "greeting", "en-US", version, now=0)
    assert anyone.get(path, query_string=expired).status_code == 404
    console = f"/console/prompts/greeting/en-US/v{version}.wav"
    assert anyone.get(console).status_code in (302, 401, 403)
    assert client_for(h, "victor").get(console).status_code == 200  # logged in, it plays in the console
