"""The two queue hops out of a webhook: fetch the audio, and start the callout.

Webhooks only enqueue; a slow Twilio or a busy database never holds a caller's call open.
"""

from __future__ import annotations

from rq import Retry

from hotline.base.runtime import get_runtime
from hotline.lifecycle.incidents import mark_handed_off

DOWNLOAD_RETRY = Retry(max=6, interval=[1, 2, 5, 10, 30, 60])


def enqueue_download(recording_id: int) -> None:
    get_runtime().queue("recordings").enqueue(
        "hotline.lifecycle.recordings.download_recording", recording_id, retry=DOWNLOAD_RETRY,
        job_timeout=120, result_ttl=3600, failure_ttl=7 * 86400,
    )


def hand_off(incident_id: int) -> bool:
    """Give the incident to the callout once; later callers of this are no-ops."""
    rt = get_runtime()
    with rt.db.session() as s:
        first = mark_handed_off(s, incident_id)
    if first:
        rt.queue("callout").enqueue("callout.jobs.start", incident_id, job_timeout=60, failure_ttl=7 * 86400,
                                    retry=Retry(max=5, interval=[1, 2, 5, 10, 30]))
    return first
