"""The timeline's sentences, as a table: audit event in, what a person reads out, with names
instead of keys, in English and (through the console's catalogue) in zh-TW."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from babel.messages.pofile import read_po

from hotline.console import timeline
from hotline.web import catalog

NAMES = timeline.Names({"chen": "Chen Wei", "lin": "Lin Mei"},
                       lambda key: {"other": "other", "reputation": "reputation"}.get(key, key), {7: 25.2, 8: None})


def english(text: str, **values: object) -> str:
    return text % values if values else text


with catalog.po_path().open("rb") as _po:
    ZH = {m.id: m.string for m in read_po(_po) if m.id and m.string}


def chinese(text: str, **values: object) -> str:
    found = ZH[text]  # a KeyError is a string missing from the catalogue
    return found % values if values else found


CASES = [
    ("callout.dialed", "system", {"person": "chen", "round": 1}, "Calling Chen Wei (round 1)"),
    ("callout.attempt", "system", {"person": "chen", "attempt_id": 7, "outcome": "no_answer"},
     "Called Chen Wei: no answer after 25 s"),
    ("callout.attempt", "system", {"person": "lin", "attempt_id": 8, "outcome": "busy"},
     "Called Lin Mei: busy or declined"),
    ("callout.opened", "system", {"policy": "reputation"}, "Paging started, in the escalation order for reputation"),
    ("status_stopped", "alice", {"reason": "false alarm"}, "alice stopped paging: false alarm"),
    ("status_accepted", "alice", {"person": "lin", "via": "console"}, "Accepted for Lin Mei by alice"),
    ("status_accepted", "lin", {"person": "lin"}, "Lin Mei accepted"),  # not "Accepted for Lin Mei by Lin Mei"
    ("note", "alice", {"text": "called back, 100% safe"}, "alice noted: called back, 100% safe"),
    ("callout.opened", "system", {"policy": "default"}, "Paging started, in the default escalation order"),
    ("recording_stored", "system", {"seconds": 3.17, "sha256": "ab"}, "Recording stored (3 s)"),
    ("incident_created", "+886955000123", {"type": "other"}, "Report received from +886955000123: other"),
    ("callout.sms_sent", "system", {"role": "acceptor", "to": "+886912000002"},
     "Text message sent to the person who accepted (+886912000002)"),
    ("severity_set", "system", {"value": "danger"}, "severity: danger"),
    ("crisis.activated", "admin", {"plan": "cyber_security"},
     "admin activated the crisis plan: the team is being called"),
    ("crisis.called", "system", {"person": "chen", "role": "it_security"},
     "Called Chen Wei (it security) for the crisis team"),
    ("crisis.proposed", "alice", {"plan": "cyber_security", "activators": ["director"]},
     "alice proposed activating the crisis plan"),
    ("event_activated", "system", {"rule": "natural_disaster.major_quake"},
     "Event rule natural_disaster.major_quake activated the crisis plan"),
    ("crisis.notify_later", "system", {}, "crisis notify later by system"),  # never a dotted key
]


@pytest.mark.parametrize(("kind", "actor", "detail", "expected"), CASES)
def test_sentences(kind, actor, detail, expected):
    at = datetime(2026, 11, 28, 7, 7, tzinfo=UTC)
    got = timeline.line(kind, actor, detail, at, NAMES, english)
    assert got.text == expected
    assert got.detail == detail  # the technical detail is kept for the admin's toggle


@pytest.mark.parametrize(("kind", "actor", "detail", "expected"), CASES)
def test_every_sentence_has_a_chinese_translation(kind, actor, detail, expected):
    at = datetime(2026, 11, 28, 7, 7, tzinfo=UTC)
    text = timeline.line(kind, actor, detail, at, NAMES, chinese).text
    assert text and not any(word in text for word in ("Called", "Paging", "Recording", "noted", "Accepted"))


def test_a_dict_of_translations_folds_into_the_catalogue(tmp_path):
    """How a channel's dict of translations moves into the .po."""
    po = tmp_path / "messages.po"
    po.write_bytes(catalog.po_path().read_bytes())
    assert catalog.fold({"Drill started": "演練開始", "Cancel": "取消"}, path=po) == 1  # "Cancel" was there already
    with po.open("rb") as f:
        folded = {m.id: m.string for m in read_po(f) if m.id}
    assert folded["Drill started"] == "演練開始" and folded["Cancel"] == "取消"
    assert catalog.fold({"Drill started": "演練開始"}, path=po) == 0
