"""Two-way messages on an app report, against a real server: the phone that made the report
reads the admin's message and replies; a reply sent twice is one message; every message is on the
incident's timeline with who wrote it; any other phone (or none) reads and writes nothing."""

from __future__ import annotations

import uuid

import requests
from sqlalchemy import select

from hotline.base.lifecycle import Actor, Channel
from hotline.paging import commands as paging
from hotline.reportapp import messages
from hotline.reportapp.models import AppReport
from tests.support.reportapp import app_report, enrol, send
from tests.support.sandbox import Hotline


def _url(h: Hotline, client_id: str) -> str:
    return f"{h.public_url}/app/api/reports/{client_id}/messages"


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _reported(h: Hotline) -> tuple[str, str, int]:
    token, client_id = enrol(h), uuid.uuid4().hex
    assert send(h, token, client_id).status_code == 201
    row = app_report(h, client_id)
    assert row is not None
    return token, client_id, int(row["incident_id"])


def _write(h: Hotline, incident_id: int, body: str, who: str = "Alice Admin") -> messages.Written:
    with h.session() as s:
        return messages.message_reporter(s, incident_id, body, who)


def test_the_reporter_reads_the_admins_message_and_replies_once(h: Hotline):
    token, client_id, incident_id = _reported(h)
    assert requests.get(_url(h, client_id), headers=_auth(token), timeout=10).json()["messages"] == []
    assert _write(h, incident_id, "  Are you safe? Stay where you are.  ").code == "sent"

    got = requests.get(_url(h, client_id), headers=_auth(token), timeout=10)
    assert got.status_code == 200
    said = [(m["from"], m["body"]) for m in got.json()["messages"]]
    assert said == [("hotline", "Are you safe? Stay where you are.")]

    reply = {"id": uuid.uuid4().hex, "body": "Yes, in the stairwell"}
    first = requests.post(_url(h, client_id), json=reply, headers=_auth(token), timeout=10)
    again = requests.post(_url(h, client_id), json=reply, headers=_auth(token), timeout=10)
    assert first.status_code == 201 and again.status_code == 200
    assert again.json() == {"id": first.json()["id"], "duplicate": True}
    now = requests.get(_url(h, client_id), headers=_auth(token), timeout=10).json()["messages"]
    assert [(m["from"], m["body"]) for m in now] == [("hotline", "Are you safe? Stay where you are."),
                                                      ("reporter", "Yes, in the stairwell")]

    wrote = [(e.actor, e.detail["body"]) for e in h.audit(incident_id, "app.message")]
    replied = [(e.actor, e.detail["body"]) for e in h.audit(incident_id, "app.reply")]
    assert wrote == [("Alice Admin", "Are you safe? Stay where you are.")]
    assert replied == [("chen", "Yes, in the stairwell")]  # once, by the person the phone is enrolled for


def test_only_the_phone_that_made_the_report_reads_or_writes_its_messages(h: Hotline):
    token, client_id, incident_id = _reported(h)
    _write(h, incident_id, "Only for the reporter")
    other = enrol(h, person="chen")
    reply = {"id": uuid.uuid4().hex, "body": "not mine"}
    for headers, status in ((_auth(other), 404), ({}, 401), (_auth("x" * 43), 401)):
        assert requests.get(_url(h, client_id), headers=headers, timeout=10).status_code == status
        assert requests.post(_url(h, client_id), json=reply, headers=headers, timeout=10).status_code == status
    assert requests.get(_url(h, uuid.uuid4().hex), headers=_auth(token), timeout=10).status_code == 404
    assert h.audit(incident_id, "app.reply") == []


def test_a_bad_reply_is_refused_and_nothing_is_stored(h: Hotline):
    token, client_id, incident_id = _reported(h)
    for body in ({"id": "short", "body": "hi"}, {"id": uuid.uuid4().hex, "body": "   "},
                 {"id": uuid.uuid4().hex, "body": "x" * 1001}, ["not", "an", "object"]):
        assert requests.post(_url(h, client_id), json=body, headers=_auth(token), timeout=10).status_code == 400
    assert requests.get(_url(h, client_id), headers=_auth(token), timeout=10).json()["messages"] == []


def test_the_admin_writes_only_to_an_open_app_report(h: Hotline):
    _, _, incident_id = _reported(h)
    assert _write(h, incident_id, "").code == "empty"
    assert _write(h, incident_id, "x" * 1001).code == "too_long"
    assert _write(h, 10**9, "hello").code == "not_app"
    with h.session() as s:
        assert paging.resolve(s, incident_id, Actor("alice", Channel.CONSOLE), "handled").ok
    assert _write(h, incident_id, "still there?").code == "closed"
    assert h.audit(incident_id, "app.message") == []


def test_one_request_reads_every_thread_of_this_phone_and_nothing_of_anothers(h: Hotline):
    """What the app polls: its recent reports' conversations in one request. Another phone's
    report and an unknown id are left out; no token is refused; a bad list is a 400."""
    token, first, first_incident = _reported(h)
    second = uuid.uuid4().hex
    assert send(h, token, second).status_code == 201
    row = app_report(h, second)
    assert row is not None
    other_token, other, other_incident = _reported(h)
    _write(h, first_incident, "First thread")
    _write(h, int(row["incident_id"]), "Second thread")
    _write(h, other_incident, "Not for this phone")
    url = f"{h.public_url}/app/api/messages"
    unknown = uuid.uuid4().hex
    got = requests.get(url, params={"reports": ",".join((first, second, other, unknown))}, headers=_auth(token),
                       timeout=10)
    assert got.status_code == 200
    threads = {cid: [(m["from"], m["body"]) for m in said] for cid, said in got.json()["threads"].items()}
    assert threads == {first: [("hotline", "First thread")], second: [("hotline", "Second thread")]}
    assert requests.get(url, params={"reports": other}, headers=_auth(other_token), timeout=10).json() == {
        "threads": {other: [{"id": m.id, "at": m.at.isoformat(), "from": "hotline", "body": m.body}
                            for m in _thread(h, other_incident)]}}
    assert requests.get(url, params={"reports": first}, timeout=10).status_code == 401
    for bad in ("short", ",".join(uuid.uuid4().hex for _ in range(21))):
        assert requests.get(url, params={"reports": bad}, headers=_auth(token), timeout=10).status_code == 400
    assert requests.get(url, headers=_auth(token), timeout=10).json() == {"threads": {}}


def _thread(h: Hotline, incident_id: int) -> list[messages.Message]:
    with h.session() as s:
        report_id = s.scalar(select(AppReport.id).where(AppReport.incident_id == incident_id))
        return messages.messages_of(s, report_id)
