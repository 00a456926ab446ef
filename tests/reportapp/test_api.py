"""The app's API against a real server: enrolment works once, a report is one incident however
often it is sent, an unknown or revoked token gets a clear 401, and every issue, enrolment and
revocation is on the audit log."""

from __future__ import annotations

import uuid

import requests
from sqlalchemy import select

from hotline.base.lifecycle import Actor, Channel
from hotline.base.models import AuditEvent
from hotline.reportapp import commands
from hotline.reportapp.models import AppDevice
from tests.support.reportapp import NEAR_HQ, app_report, enrol, link_for, send
from tests.support.sandbox import Hotline


def test_a_link_enrols_one_phone_once(h: Hotline):
    link = link_for(h)
    first = requests.post(f"{h.public_url}/app/api/enrol", json={"link": link}, timeout=10)
    again = requests.post(f"{h.public_url}/app/api/enrol", json={"link": link}, timeout=10)
    assert first.status_code == 201 and first.json()["name"] == "Chen Wei"
    assert again.status_code == 410 and again.json()["error"] == "link_used"
    page = requests.get(f"{h.public_url}/app/enrol/{link}", timeout=10)  # GET changes nothing
    assert page.status_code == 200 and 'id="enrol"' in page.text


def test_a_report_is_one_incident_however_often_it_is_sent(h: Hotline):
    token, client_id = enrol(h), uuid.uuid4().hex
    first = send(h, token, client_id, note="smoke in the loading bay",
                 location={"lat": NEAR_HQ[0], "lon": NEAR_HQ[1], "accuracy": 15, "at": 1_765_000_000_000})
    again = send(h, token, client_id)
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["ref"] == again.json()["ref"] and again.json()["duplicate"] is True
    row = app_report(h, client_id)
    assert row is not None and row["ref"] == first.json()["ref"] and row["source"] == "app"
    assert row["nearest_site"] == "101" and row["site"] == "101" and row["accuracy_m"] == 15
    assert row["page_due_at"] is not None and row["type_key"] == "workplace_accident"
    notes = [e.detail.get("text", "") for e in h.audit(row["incident_id"], "note")]
    assert any("smoke in the loading bay" in n for n in notes)


def test_a_report_without_a_location_or_with_a_bad_one_still_counts(h: Hotline):
    token = enrol(h)
    for location in (None, {"lat": 500, "lon": 1}):
        client_id = uuid.uuid4().hex
        assert send(h, token, client_id, location=location, type_key="no such type").status_code == 201
        row = app_report(h, client_id)
        assert row is not None and row["lat"] is None and row["site"] is None and row["type_key"] == "unclassified"


def test_a_photo_comes_with_the_report(h: Hotline):
    token, client_id = enrol(h), uuid.uuid4().hex
    png = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQ"
           "AAAABJRU5ErkJggg==")
    assert send(h, token, client_id, photo=png).status_code == 201
    row = app_report(h, client_id)
    assert row is not None and row["has_photo"]


def test_unknown_and_revoked_tokens_are_refused_clearly(h: Hotline):
    token = enrol(h)
    assert send(h, token).status_code == 201
    with h.session() as s:
        device_id = s.scalar(select(AppDevice.id).order_by(AppDevice.id.desc()).limit(1))
        assert commands.revoke(s, device_id, Actor("bob", Channel.CONSOLE)).ok
    for bad in (token, "x" * 43):
        r = send(h, bad)
        assert r.status_code == 401 and r.json()["error"] == "not_enrolled"
        assert "no longer enrolled" in r.json()["message"]
        assert requests.get(f"{h.public_url}/app/api/types", timeout=10,
                            headers={"Authorization": f"Bearer {bad}"}).status_code == 401
    assert send(h, "").status_code == 401
    with h.session() as s:
        kinds = {(e.kind, e.actor) for e in s.scalars(select(AuditEvent).where(
            AuditEvent.kind.like("app_device_%"), AuditEvent.detail["device_id"].as_integer() == device_id))}
    assert kinds == {("app_device_issued", "alice"), ("app_device_enrolled", "chen"), ("app_device_revoked", "bob")}


def test_the_types_are_the_ivr_menu_in_the_phones_language(h: Hotline):
    token = enrol(h, "lin", "zh-TW")
    zh = requests.get(f"{h.public_url}/app/api/types?lang=zh-TW", timeout=10,
                      headers={"Authorization": f"Bearer {token}"}).json()
    en = requests.get(f"{h.public_url}/app/api/types?lang=en-US", timeout=10,
                      headers={"Authorization": f"Bearer {token}"}).json()
    assert zh["language"] == "zh-TW" and en["language"] == "en-US"
    assert [t["key"] for t in zh["types"]] == [t["key"] for t in en["types"]] and len(en["types"]) >= 3
    assert zh["types"][0]["name"] == h.config.type_name(zh["types"][0]["key"], "zh-TW")
    assert zh["types"][0]["name"] != en["types"][0]["name"]


def test_the_app_is_installable(h: Hotline):
    manifest = requests.get(f"{h.public_url}/app/manifest.webmanifest", timeout=10)
    assert manifest.headers["Content-Type"].startswith("application/manifest+json")
    assert manifest.json()["start_url"] == "/app/" and manifest.json()["icons"][0]["type"] == "image/svg+xml"
    sw = requests.get(f"{h.public_url}/app/sw.js", timeout=10)
    assert sw.status_code == 200 and sw.headers["Service-Worker-Allowed"] == "/app/"
    assert requests.get(f"{h.public_url}/app/icon.svg", timeout=10).text.startswith("<svg")
