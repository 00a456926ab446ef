"""The real Prometheus Alertmanager delivers its webhook to the running hotline: alerts are
posted to Alertmanager's own API, it groups them and notifies; firing opens one incident for
the group (paged), resolved closes it."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from hotline.base.states import IncidentStatus
from hotline.events.models import EventAlert, Integration
from hotline.service.embedded_redis import free_port
from tests.support import e2e
from tests.support.e2e import CHEN, quiet_phones  # noqa: F401  (autouse: phones wait for the test)
from tests.support.events import add_integration
from tests.support.lanes import starts_processes
from tests.support.sandbox import Hotline

BINARY = shutil.which("prometheus-alertmanager") or "/usr/bin/prometheus-alertmanager"
pytestmark = pytest.mark.skipif(not Path(BINARY).exists(),
                                reason="prometheus-alertmanager is not installed (apt-get install "
                                       "prometheus-alertmanager; .ci/run installs it)")

CONFIG = """
route:
  receiver: hotline
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: hotline
    webhook_configs:
      - url: {url}/events/alertmanager
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: {key}
"""


@pytest.fixture()
@starts_processes
def alertmanager(h: Hotline, tmp_path: Path) -> Iterator[str]:
    key = add_integration(h, "prometheus").key
    (tmp_path / "alertmanager.yml").write_text(CONFIG.format(url=h.public_url, key=key), encoding="utf-8")
    port = free_port()
    log = (tmp_path / "alertmanager.log").open("wb")
    proc = subprocess.Popen([BINARY, f"--config.file={tmp_path / 'alertmanager.yml'}",
                             f"--storage.path={tmp_path / 'data'}", f"--web.listen-address=127.0.0.1:{port}",
                             "--cluster.listen-address=", "--log.level=debug"], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        h.wait_for(lambda: _ready(url), what="alertmanager to start")
        yield url
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


def _ready(url: str) -> bool:
    try:
        return requests.get(f"{url}/-/ready", timeout=1).ok
    except requests.RequestException:
        return False


def _alerts(instances: list[str], starts: datetime, ends: datetime | None = None) -> list[dict[str, object]]:
    out = []
    for instance in instances:
        alert: dict[str, object] = {
            "labels": {"alertname": "IntrusionDetected", "instance": instance, "severity": "critical"},
            "annotations": {"summary": "Intrusion detected on the office network"},
            # Starting now, not earlier: Alertmanager flushes a group at once for an alert older
            # than group_wait, which could notify with only the first alert of the two.
            "startsAt": starts.isoformat()}
        if ends is not None:
            alert["endsAt"] = ends.isoformat()
        out.append(alert)
    return out


def _group_alert(h: Hotline) -> EventAlert | None:
    with h.session() as s:
        return s.scalar(select(EventAlert).join(Integration, Integration.id == EventAlert.integration_id)
                        .where(Integration.name == "prometheus").order_by(EventAlert.id))


def test_alertmanager_firing_then_resolved(h: Hotline, alertmanager: str) -> None:
    instances = ["fw-1:9100", "fw-2:9100"]
    started = datetime.now(UTC)
    r = requests.post(f"{alertmanager}/api/v2/alerts", json=_alerts(instances, started), timeout=10)
    assert r.status_code == 200, r.text
    alert = h.wait_for(lambda: _group_alert(h), timeout=30, what="Alertmanager's firing notification")
    incident = e2e.incident(h, alert.incident_id)
    assert incident.source == "api" and incident.type_key == "cyber_security"
    assert alert.summary == "Intrusion detected on the office network"
    assert alert.custom_details["alerts_firing"] == 2  # both alerts of the group, one incident
    e2e.next_call(h, CHEN)  # severity critical: the "serious" rule pages

    ended = max(datetime.now(UTC) - timedelta(seconds=1), started + timedelta(milliseconds=10))
    r = requests.post(f"{alertmanager}/api/v2/alerts", json=_alerts(instances, started, ends=ended), timeout=10)
    assert r.status_code == 200, r.text
    h.wait_for(lambda: e2e.incident(h, alert.incident_id).status == IncidentStatus.CLOSED, timeout=30,
               what="Alertmanager's resolved notification")
    with h.session() as s:
        alerts = list(s.scalars(select(EventAlert).where(EventAlert.integration_id == alert.integration_id)))
    assert len(alerts) == 1 and alerts[0].open_key is None  # one incident for the whole group, now closed
    resolved = [e for e in h.audit(alert.incident_id) if e.kind == "event_received"]
    assert resolved[-1].detail["action"] == "resolve" and resolved[-1].actor == "integration:prometheus"
