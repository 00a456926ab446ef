"""MMS photos are stored on site: fetched from the provider's MediaUrl with the account's
credentials into the recordings store, checksummed, retried when the provider fails (the job's
retries, then the convergence cycle), and shown on the incident page only to logged-in users."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from redis import Redis
from rq.exceptions import NoSuchJobError
from rq.job import Job
from sqlalchemy import select

from hotline.base.models import utcnow
from hotline.textreports import photos
from hotline.textreports.models import MediaStatus, TextConversation, TextMedia
from tests.support.console import console_config, logged_in_client
from tests.support.lanes import starts_processes
from tests.support.sandbox import HOTLINE, Hotline

# A 1x1 PNG.
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAAB"
                       "JRU5ErkJggg==")


@pytest.fixture(scope="module")
@starts_processes
def h(redis_url, tmp_path_factory):
    Redis.from_url(redis_url).flushdb()
    tmp = tmp_path_factory.mktemp("sms-photos")
    hotline = Hotline(tmp, redis_url, "sqlite", config_path=console_config(tmp))
    hotline.start_worker("recordings", "callout", "default")
    yield hotline
    hotline.close()


def media_of(h: Hotline, sender: str) -> list[TextMedia]:
    with h.session() as s:
        return list(s.scalars(select(TextMedia).join(TextConversation, TextConversation.id == TextMedia.conversation_id)
                              .where(TextConversation.sender == sender).order_by(TextMedia.id)))


def stored(h: Hotline, sender: str) -> list[TextMedia] | None:
    found = media_of(h, sender)
    return found if found and all(m.status == MediaStatus.STORED for m in found) else None


def waiting_for_retry(h: Hotline, job_id: str) -> Job | None:
    try:
        job = Job.fetch(job_id, connection=h.runtime.redis)
    except NoSuchJobError:
        return None
    return job if job.get_status(refresh=True) == "scheduled" else None


def test_a_photo_is_fetched_stored_and_shown_to_logged_in_users_only(h: Hotline):
    sender = "+886933200001"
    h.sim.phone(sender).text(HOTLINE, "Broken glass at the east gate", [(PNG, "image/png")])
    [m] = h.wait_for(lambda: stored(h, sender), what="the photo stored")
    assert m.sha256 == hashlib.sha256(PNG).hexdigest() and m.content_type == "image/png"
    path = Path(m.path or "")
    assert path.read_bytes() == PNG and path.is_relative_to(h.config.recordings_dir)
    assert h.audit(m.incident_id, "text.photo_stored")

    url = f"/console/text-photos/{m.id}"
    anonymous = h.app.test_client().get(url)
    assert anonymous.status_code in (302, 401, 403) and anonymous.data != PNG
    assert requests.get(h.public_url + url, timeout=5, allow_redirects=False).status_code != 200
    client = logged_in_client(h)
    served = client.get(url)
    assert served.status_code == 200 and served.data == PNG and served.mimetype == "image/png"
    assert "no-store" in served.headers["Cache-Control"]
    page = client.get(f"/console/incidents/{m.incident_id}").get_data(as_text=True)
    assert f'data-photo="{m.id}"' in page and "Broken glass at the east gate" in page
    notes = [e.detail.get("text", "") for e in h.audit(m.incident_id, "note")]
    assert any("1 photo, shown with the conversation" in n for n in notes), notes
    assert not any(m.url in n or "http" in n for n in notes), notes  # the provider's URL opens for nobody
    zh = client.get(f"/console/incidents/{m.incident_id}", headers={"Cookie": "lang=zh-TW"}).get_data(as_text=True)
    assert "<h3>照片</h3>" in zh and "通報人傳來" in zh


def test_a_fetch_the_provider_fails_is_retried_until_the_photo_is_kept(h: Hotline):
    sender = "+886933200002"
    h.sim.media_faults = 2  # the job's first two tries get a 500; its retries bring it in
    h.sim.phone(sender).text(HOTLINE, "", [(PNG, "image/png")])
    [m] = h.wait_for(lambda: stored(h, sender), what="the photo stored after retries")
    assert m.attempts >= 3 and h.sim.media_faults == 0


def test_a_photo_whose_fetch_failed_for_good_is_fetched_by_the_cycle(h: Hotline):
    sender = "+886933200003"
    h.sim.media_faults = 10**6  # the provider is down for longer than the job's retries
    h.sim.phone(sender).text(HOTLINE, "Photo of the leak", [(PNG, "image/png")])
    [m] = h.wait_for(lambda: [x for x in media_of(h, sender) if x.attempts >= 1], what="a first try")
    # The job gives up: it waits for a retry, and is then gone, as after its last one.
    h.wait_for(lambda: waiting_for_retry(h, f"fetch-photo-{m.id}"), what="a retry waiting").delete()
    assert photos.mark_failed(m.id, "HTTPError: 500")  # what the job's last failure does
    assert h.audit(m.incident_id, "text.photo_failed")
    h.sim.media_faults = 0
    report = h.converge(utcnow() + timedelta(minutes=16))
    assert m.id in report["text_photos"]
    h.wait_for(lambda: stored(h, sender), what="the photo stored by the cycle's fetch")
