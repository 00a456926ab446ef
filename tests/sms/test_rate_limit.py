"""Per-sender rate limit on texts: a burst, then one per `seconds_per_text`. A text over the limit
is kept on the sender's report's timeline (first law) but opens no report and gets no answer; one
number flooding spends only its own allowance; the settings are checked like every section."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from hotline.base.config import ConfigError, load_config
from hotline.base.jobs import run
from hotline.base.lifecycle import Actor, Channel
from hotline.base.models import Incident
from hotline.paging import commands
from hotline.textreports.models import TextConversation
from hotline.textreports.ratelimit import refill
from hotline.textreports.settings import TextReportSettings
from tests.support import e2e
from tests.support.e2e import quiet_phones  # noqa: F401  (autouse)
from tests.support.lanes import starts_processes
from tests.support.sandbox import HOTLINE, Hotline

LIMIT = "\n[text_reports]\nburst = 3\nseconds_per_text = 600\n"
T0 = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("tokens", "after", "expected"), [
    (0.0, 0, 0.0),
    (0.0, 300, 0.5),  # half a text earned in half the pace
    (0.0, 600, 1.0),
    (2.0, 6000, 3.0),  # never more than the burst
    (1.0, -60, 1.0),  # a clock that went back earns nothing
])
def test_refill(tokens, after, expected):
    assert refill(tokens, T0, T0 + timedelta(seconds=after), TextReportSettings(3, 600)) == expected


@pytest.mark.parametrize(("extra", "key", "fix"), [
    ("burst = 0", "text_reports.burst", "from 1 to 100"),
    ("seconds_per_text = \"fast\"", "text_reports.seconds_per_text", "seconds from 1 to 3600"),
    ("bursts = 5", "text_reports.bursts", "unknown setting; use one of: burst, seconds_per_text"),
])
def test_a_bad_setting_names_the_file_the_key_and_the_fix(tmp_path, extra, key, fix):
    path = e2e.write_config(tmp_path)
    path.write_text(path.read_text(encoding="utf-8") + f"\n[text_reports]\n{extra}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(path, env={})
    [problem] = [str(p) for p in err.value.problems if p.key == key]
    assert problem.startswith(str(path)) and fix in problem


def test_the_defaults(tmp_path):
    assert load_config(e2e.write_config(tmp_path), env={}).section(TextReportSettings) == TextReportSettings(5, 30.0)


@pytest.fixture(scope="module")
@starts_processes
def h(redis_url, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sms-rate-limit")
    config = e2e.write_config(tmp)
    config.write_text(config.read_text(encoding="utf-8") + LIMIT, encoding="utf-8")
    hotline = Hotline(tmp, redis_url, "sqlite", config_path=config, on_close=None)
    hotline.start_worker("callout", "recordings", "default")
    yield hotline
    hotline.close()


def reports_of(h: Hotline, sender: str) -> list[int]:
    with h.session() as s:
        return list(s.scalars(select(TextConversation.incident_id).where(TextConversation.sender == sender)
                              .order_by(TextConversation.id)))


def notes(h: Hotline, incident_id: int) -> list[str]:
    return [str(e.detail.get("text", "")) for e in h.audit(incident_id, "note")]


def test_over_the_limit_a_text_is_kept_but_not_answered_and_opens_nothing(h: Hotline):
    flooder, other = "+886933300001", "+886933300002"
    answers = [h.sim.phone(flooder).text(HOTLINE, f"message {i}") for i in range(6)]
    assert all(answers[:3]) and answers[3:] == [[], [], []]  # the burst is answered, the rest is not
    [incident_id] = reports_of(h, flooder)
    kept = notes(h, incident_id)
    assert all(any(f"message {i}" in n for n in kept) for i in range(6))  # first law: every text kept
    assert sum("over the sender's rate limit" in n for n in kept) == 3

    # Another number is not affected by the flood.
    [answer] = h.sim.phone(other).text(HOTLINE, "Gas smell in the kitchen")
    assert "received" in answer and len(reports_of(h, other)) == 1

    # Once the flooder's report is closed, their texts over the limit still open no new report:
    # they join the closed one's timeline.
    run(commands.resolve, incident_id, Actor("alice", Channel.CONSOLE), "dealt with")
    assert h.sim.phone(flooder).text(HOTLINE, "message 6") == []
    assert reports_of(h, flooder) == [incident_id]
    assert any("message 6" in n for n in notes(h, incident_id))
    with h.session() as s:
        assert s.scalar(select(func.count()).select_from(Incident).where(Incident.caller == flooder)) == 1
