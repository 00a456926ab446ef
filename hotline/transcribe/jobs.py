"""The RQ job: recording id in, one transcript row out. Never in the callout's way.

Bad input (no model, corrupt/empty file, model that will not load, timeout) is a *result*:
a `failed`/`skipped`/`empty` row with a reason, and the job ends normally. Only transient
trouble (recording not stored yet, database locked or down) raises, so RQ's `Retry` runs
the job again; when retries run out, `on_final_failure` still writes a `failed` row.

The job takes ids and re-reads state, so a retried or duplicated job is harmless: a
recording whose transcript is already `done`/`empty` is left alone.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from rq import Retry
from rq.exceptions import DuplicateJobError
from rq.job import Callback, Job, JobStatus
from rq.timeouts import JobTimeoutException
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from hotline.base.log_context import about
from hotline.base.models import Recording
from hotline.base.recording_store import recording_store
from hotline.base.runtime import get_runtime
from hotline.base.states import RecordingStatus
from hotline.transcribe.audio import AudioError, probe
from hotline.transcribe.current import current_settings
from hotline.transcribe.engine import FAILED, Outcome, transcribe_file
from hotline.transcribe.results import FINAL, existing, save_outcome

log = logging.getLogger("transcribe.jobs")

QUEUE = "transcribe"
RETRY_INTERVALS = [5, 30, 120]  # seconds; needs a scheduler (transcribe.worker.main runs one)
ACTIVE = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED}


class RecordingNotReady(Exception):
    """The row or its file is not there yet (upload still being stored): worth retrying."""


def job_id(recording_id: int) -> str:
    return f"transcribe-recording-{recording_id}"


def enqueue(recording_id: int) -> Job:
    """Queue transcription of one recording; returns at once (the callout never waits).

    Calling it twice while a job is queued or running returns that job instead of a second.
    """
    settings = current_settings()
    runtime = get_runtime()
    queue = runtime.queue(QUEUE)
    options: dict[str, Any] = {
        "job_id": job_id(recording_id),
        "job_timeout": settings.job_timeout(_expected_seconds(recording_id)),
        "on_failure": Callback(on_final_failure),
        "description": f"transcribe recording {recording_id}",
        "failure_ttl": 7 * 24 * 3600,
    }
    if settings.retries:
        options["retry"] = Retry(max=settings.retries, interval=RETRY_INTERVALS[: settings.retries])
    try:
        return queue.enqueue(transcribe_recording, recording_id, unique=True, **options)
    except DuplicateJobError:
        old = Job.fetch(options["job_id"], connection=runtime.redis)
        if old.get_status(refresh=True) in ACTIVE:
            return old
        old.delete()  # finished or failed long ago: a fresh request deserves a fresh run
        return queue.enqueue(transcribe_recording, recording_id, unique=True, **options)


def _expected_seconds(recording_id: int) -> float:
    """Audio length for the timeout: the stored duration, else a probe, else the longest allowed call."""
    runtime = get_runtime()
    try:
        with runtime.db.session() as s:
            rec = s.get(Recording, recording_id)
            duration, path = (rec.duration, rec.path) if rec else (None, None)
        if duration:
            return float(duration)
        if path:
            info = probe(recording_path(path))
            if info.duration:
                return info.duration
    except (AudioError, SQLAlchemyError) as exc:  # an estimate must never stop the enqueue
        log.info("no duration for recording %s: %s", recording_id, exc)
    return float(runtime.config.record_max_seconds)


def recording_path(stored: str) -> Path:
    """Recording.path is a location in the recording store (hotline.base.recording_store)."""
    return recording_store(get_runtime().config).local_path(stored)


def transcribe_recording(recording_id: int) -> dict[str, Any]:
    """The job function. Returns a small summary (kept by RQ as the job result)."""
    with about(recording=recording_id):
        return _transcribe_stored(recording_id)


def _transcribe_stored(recording_id: int) -> dict[str, Any]:
    runtime = get_runtime()
    with runtime.db.session() as s:
        rec = s.get(Recording, recording_id)
        if rec is None:
            raise RecordingNotReady(f"recording {recording_id} not found (yet)")
        row = existing(s, recording_id)
        if row is not None and row.status in FINAL:
            log.info("recording %s already transcribed (%s): nothing to do", recording_id, row.status)
            return {"recording_id": recording_id, "status": row.status, "duplicate": True}
        language = rec.incident.language if rec.incident else None
        stored_status, stored_path, error = rec.status, rec.path, rec.error
    if stored_status == RecordingStatus.FAILED:
        reason = f"recording was never stored: {error or 'unknown'}"
        outcome = Outcome(FAILED, language=language, reason=reason)
    elif stored_status == RecordingStatus.PENDING or not stored_path:
        raise RecordingNotReady(f"recording {recording_id} is not stored yet (status {stored_status})")
    else:
        outcome = _transcribe(recording_id, recording_path(stored_path), language)
    return _save(recording_id, outcome)


def _transcribe(recording_id: int, path: Path, language: str | None) -> Outcome:
    """Decode outside any DB session: no connection or lock is held for the minutes a decode may take."""
    try:
        return transcribe_file(path, language, current_settings())
    except JobTimeoutException as exc:
        return Outcome(FAILED, language=language, reason=f"transcription timed out: {exc}")


def _save(recording_id: int, outcome: Outcome) -> dict[str, Any]:
    summary = {"recording_id": recording_id, "status": outcome.status, "reason": outcome.reason}
    try:
        with get_runtime().db.session() as s:
            rec = s.get(Recording, recording_id)
            row = existing(s, recording_id)
            if rec is None or (row is not None and row.status in FINAL):
                return {**summary, "duplicate": True}  # a concurrent duplicate finished first
            save_outcome(s, rec, outcome)
    except IntegrityError:
        log.info("recording %s: a concurrent job saved its transcript first", recording_id)
        return {**summary, "duplicate": True}
    level = logging.WARNING if outcome.status == FAILED else logging.INFO
    log.log(level, "transcript recording=%s status=%s language=%s audio_seconds=%s rtf=%s reason=%s",
            recording_id, outcome.status, outcome.language, outcome.audio_seconds, outcome.rtf,
            outcome.reason)
    return summary


def on_final_failure(job: Job, connection: Any, exc_type: type[BaseException] | None,
                     exc_value: BaseException | None, traceback: Any) -> None:
    """RQ failure callback: once no retry is left, record a `failed` row so nobody waits for text."""
    error = f"{getattr(exc_type, '__name__', exc_type)}: {exc_value}"
    if job.retries_left:
        log.warning("job %s failed (%s); %s retries left", job.id, error, job.retries_left)
        return
    record_failure(int(job.args[0]), f"gave up after retries: {error}")


def record_failure(recording_id: int, reason: str) -> None:
    """Write a `failed` transcript unless a final one exists; used when the job itself could not."""
    with get_runtime().db.session() as s:
        rec = s.get(Recording, recording_id)
        if rec is None:
            log.error("recording %s: %s (no such recording, nothing recorded)", recording_id, reason)
            return
        row = existing(s, recording_id)
        if row is not None and row.status in FINAL:
            return
        language = rec.incident.language if rec.incident else None
        save_outcome(s, rec, Outcome(FAILED, language=language, reason=reason))
    log.error("transcript recording=%s status=failed reason=%s", recording_id, reason)
