"""No report stuck "pending": a recording whose every fetch fails ends `failed` with its reason,
the responder is told, and the convergence cycle tries again later while Twilio keeps the file.
"""

from __future__ import annotations

from datetime import timedelta

from redis import Redis
from rq import Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job
from sqlalchemy import select

from hotline.base import jobs
from hotline.base.lifecycle import Actor, Channel
from hotline.base.models import Recording, utcnow
from hotline.base.registry import registry
from hotline.base.states import RecordingStatus
from hotline.paging import commands
from hotline.paging.followups import Fetch
from hotline.paging.jobs import fetch_recording, on_fetch_failed
from tests.support import e2e
from tests.support.e2e import CHEN, quiet_phones  # noqa: F401  (autouse)
from tests.support.sandbox import Hotline


def test_a_recording_that_cannot_be_fetched_ends_failed_and_is_tried_again(h: Hotline, monkeypatch,
                                                                            speech_wav) -> None:
    inc = e2e.report(h, "12", wav=speech_wav)
    h.wait_for(lambda: any(r.status == RecordingStatus.STORED for r in h.recordings(inc.id)), what="stored")
    with h.session() as s:
        rec = s.scalar(select(Recording).where(Recording.incident_id == inc.id))
        assert rec is not None
        # Twilio lost the file (or answers 404 for a while): every fetch fails.
        rec.source_url = rec.source_url.rsplit("/", 1)[0] + "/RE" + "0" * 32
        rec.status = RecordingStatus.PENDING
    quick = jobs.JobSpec("recordings", 30, Retry(max=1, interval=[0]), lambda r: f"fetch-recording-{r}",
                         on_fetch_failed)  # the retry policy travels with the job: two tries, no waiting
    monkeypatch.setitem(registry().jobs, fetch_recording, quick)
    # The first fetch job may still be finishing (it marks the recording stored, then ends): while
    # it is "started", a new fetch with its id is rightly taken as a duplicate. Wait for its end.
    h.wait_for(lambda: _job_done(h, f"fetch-recording-{rec.id}"), what="the first fetch job finished")
    jobs.dispatch([Fetch(rec.id)])
    failed = h.wait_for(lambda: (r := _recording(h, rec.id)).status == RecordingStatus.FAILED and r,
                        what="the recording marked failed after its last retry")
    assert failed.error and "404" in failed.error and failed.attempts == 3  # the first fetch, then two
    assert [e.kind for e in h.audit(inc.id, "recording_failed")] == ["recording_failed"]
    # The responder who presses 2 hears that it could not be fetched, not "not ready yet".
    chen = e2e.next_call(h, CHEN)
    chen.answer()
    chen.expect_say("Press 1 to accept")
    chen.press("2")
    chen.expect_say("could not be fetched")
    # Fifteen minutes on, the cycle asks for it again (Twilio keeps recordings for a day or more).
    assert rec.id not in h.converge()["fetches"]  # not at once: a failed fetch waits its turn
    report = h.converge(now=utcnow() + timedelta(minutes=16))
    assert rec.id in report["fetches"]
    h.wait_for(lambda: _recording(h, rec.id).attempts == 5, what="two more tries")
    jobs.run(commands.stop_paging, inc.id, Actor("test", Channel.CLI), "end of test")


def _job_done(h: Hotline, job_id: str) -> bool:
    try:
        job = Job.fetch(job_id, connection=Redis.from_url(h.env["REDIS_URL"]))
    except NoSuchJobError:
        return True
    return job.get_status() not in ("queued", "started", "scheduled", "deferred")


def _recording(h: Hotline, recording_id: int) -> Recording:
    with h.session() as s:
        found = s.get(Recording, recording_id)
        assert found is not None
        return found
