"""A dead RQ job never blocks its own retry (issue #23, 3b): a download whose worker was killed
mid-job still says "started" until RQ's own cleanup, minutes later, and its dedupe id refused
every re-fetch the convergence cycle asked for meanwhile. Now its worker is judged at once
(hotline.base.heartbeat.worker_alive): a dead worker's job gives way to the retry; a live one's
does not."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from hotline.base import jobs
from hotline.paging.jobs import fetch_recording
from tests.support.sandbox import Hotline

RECORDING = 4242
DEDUPE_ID = f"fetch-recording-{RECORDING}"  # hotline.paging.jobs.SPECS[fetch_recording].job_id


def test_a_job_whose_worker_died_gives_way_to_its_retry_and_a_live_ones_does_not(tmp_path: Path, clean_redis: str):
    h = Hotline(tmp_path, clean_redis)
    try:
        queue = h.runtime.queue("recordings")
        worker = h.start_worker("recordings")
        stuck = queue.enqueue(time.sleep, 600, job_id=DEDUPE_ID, job_timeout=700)  # a download that hangs
        h.wait_for(lambda: stuck.get_status(refresh=True) == "started" or None, 60, what="the job under way")

        assert jobs.enqueue(fetch_recording, RECORDING).id == stuck.id  # its worker lives: it is waited for
        assert stuck.get_status(refresh=True) == "started"

        os.killpg(worker.pid, signal.SIGKILL)  # the worker, mid-job
        worker.wait(10)
        retry = jobs.enqueue(fetch_recording, RECORDING)

        assert retry is not None and retry.id == DEDUPE_ID
        assert retry.func_name == "hotline.paging.jobs.fetch_recording"
        assert retry.get_status(refresh=True) == "queued" and queue.get_job_position(retry.id) is not None
    finally:
        h.close()
