"""A retry never makes two incidents: 100 phones replaying 1,000 reports at once (10 each, each
sent twice, the copies shuffled among the others) make exactly 1,000 incidents, against the real
HTTP server, on SQLite and on PostgreSQL; and 20 copies of one report sent at the same moment
make one."""

from __future__ import annotations

import random
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import requests
from sqlalchemy import func, select

from hotline.reportapp.models import AppReport
from tests.support.e2e import ALSO_ON_POSTGRESQL, databases_for_h
from tests.support.reportapp import app_incidents, enrol, send
from tests.support.sandbox import Hotline

pytest_generate_tests = databases_for_h
PHONES, EACH = 100, 10


def _until_answered(h: Hotline, token: str, client_id: str, http: requests.Session) -> str:
    """What the phone does: send until the hotline answers (a refused connection or a 5xx is a retry)."""
    for _ in range(50):
        try:
            r = send(h, token, client_id, session=http)
        except requests.RequestException:
            continue
        if r.status_code in (200, 201):
            return str(r.json()["ref"])
        assert r.status_code >= 500, r.text
    raise AssertionError(f"report {client_id} was never answered")


@ALSO_ON_POSTGRESQL
def test_a_thousand_reports_replayed_by_a_hundred_phones_make_a_thousand_incidents(h: Hotline):
    before = app_incidents(h)
    tokens = [enrol(h) for _ in range(PHONES)]
    reports = [[uuid.uuid4().hex for _ in range(EACH)] for _ in range(PHONES)]
    refs: dict[str, set[str]] = {}
    lock = threading.Lock()
    start = threading.Barrier(PHONES)

    def phone(i: int) -> None:
        copies = reports[i] * 2
        random.Random(i).shuffle(copies)
        with requests.Session() as http:
            start.wait()
            for client_id in copies:
                ref = _until_answered(h, tokens[i], client_id, http)
                with lock:
                    refs.setdefault(client_id, set()).add(ref)

    with ThreadPoolExecutor(PHONES) as pool:
        list(pool.map(phone, range(PHONES)))

    assert len(refs) == PHONES * EACH and all(len(r) == 1 for r in refs.values())  # a retry: the same ref
    assert len({next(iter(r)) for r in refs.values()}) == PHONES * EACH
    assert app_incidents(h) - before == PHONES * EACH
    with h.session() as s:
        assert s.scalar(select(func.count()).select_from(AppReport).where(
            AppReport.client_id.in_([c for cs in reports for c in cs]), AppReport.incident_id.is_not(None))) \
            == PHONES * EACH


@ALSO_ON_POSTGRESQL
def test_copies_of_one_report_sent_at_the_same_moment_make_one_incident(h: Hotline):
    before, token, client_id = app_incidents(h), enrol(h), uuid.uuid4().hex
    start = threading.Barrier(20)

    def copy(_: int) -> str:
        with requests.Session() as http:
            start.wait()
            return _until_answered(h, token, client_id, http)

    with ThreadPoolExecutor(20) as pool:
        refs = set(pool.map(copy, range(20)))
    assert len(refs) == 1 and app_incidents(h) == before + 1
