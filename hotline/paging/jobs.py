"""Every background job of the hotline, and the one place they are enqueued.

Jobs are small functions that take ids, re-read the database and are idempotent, so a retried,
duplicated or late job is harmless. Each job's queue, timeout, retry and dedupe id are chosen
once, in `SPECS`. `dispatch` turns a command's follow-ups into jobs; when Redis is down it logs
and returns, and the convergence cycle (which needs no queue) does the same work from the
database. Callout jobs run on the "callout" queue, whose worker runs them in-process
(`hotline.service.workers.CalloutWorker`); downloads on "recordings"; transcription on its own.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from redis.exceptions import RedisError
from rq import Callback, Retry
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job
from rq.queue import Queue

from hotline.base.log_context import about
from hotline.base.models import utcnow
from hotline.base.runtime import get_runtime
from hotline.crisis import notify
from hotline.paging import commands, recordings
from hotline.paging.callout import closeout, drive
from hotline.paging.callout.phrases import text
from hotline.paging.followups import CloseOut, Drive, Fetch, Followup, NotifyTeam, Page, StopCalls, Transcribe, Wake
from hotline.transcribe import jobs as transcribe_jobs

log = logging.getLogger("hotline.jobs")
WEEK = 7 * 86400
WAITING = ("queued", "started", "scheduled", "deferred")


# --- The jobs -----------------------------------------------------------------------------

def page_incident(incident_id: int, due: str | None = None) -> str:
    """Open or join the incident's callout and, when it opened one, place the first call now.
    `due`, as for `drive_callout`: the moment this is meant for (never earlier than now)."""
    now = drive.moment(datetime.fromisoformat(due) if due else None)
    with about(incident_id):
        with get_runtime().db.session() as s:
            out = commands.page(s, incident_id, drive.settings(), now)
        for followup in out.then:
            if isinstance(followup, Drive):
                return f"callout {followup.callout_id}: {drive_callout(followup.callout_id, now.isoformat())}"
        return out.code


def drive_callout(callout_id: int, due: str | None = None) -> str:
    """Run the callout until it waits; mirror its state on its incidents; schedule the watchdog."""
    moment = datetime.fromisoformat(due) if due else None
    with about(callout=callout_id):
        driven = drive.drive(callout_id, moment)
        with get_runtime().db.session() as s:
            commands.sync_callout(s, callout_id, drive.moment(moment))
        if driven.wake_at is not None:
            dispatch([Wake(callout_id, driven.wake_at)])
        return driven.action


def close_out(callout_id: int) -> None:
    closeout.after_accept(callout_id)


def stop_calls(callout_id: int) -> int:
    return closeout.stop_other_calls(callout_id, lambda lang: text(lang, "stopped"), utcnow())


def notify_team(crisis_id: int) -> int:
    """Call and text every crisis team member who is due now (all crises: the same work as the
    cycle's, which catches up if this job is lost)."""
    return len(notify.notify_due(utcnow()))


def fetch_recording(recording_id: int) -> str:
    """Download the audio, then the lifecycle notes it and asks for the transcript."""
    with about(recording=recording_id):
        result = recordings.download_recording(recording_id)
        run(commands.recording_stored, recording_id)
        return result


def on_fetch_failed(job: Job, connection: Any, exc_type: type[BaseException] | None,
                    exc_value: BaseException | None, traceback: Any) -> None:
    """RQ failure callback: after the last retry the recording is `failed`, with the reason."""
    if job.retries_left:
        return
    recordings.mark_failed(int(job.args[0]), f"{getattr(exc_type, '__name__', exc_type)}: {exc_value}")


# --- How each is enqueued -----------------------------------------------------------------

@dataclass(frozen=True)
class Spec:
    queue: str
    timeout: int
    retry: Retry | None = None
    job_id: Callable[..., str] | None = None  # a dedupe id: at most one such job waits at a time
    on_failure: Callable[..., None] | None = None


SPECS: dict[Callable[..., Any], Spec] = {
    page_incident: Spec("callout", 60, Retry(max=5, interval=[1, 2, 5, 10, 30]), lambda i: f"page-{i}"),
    drive_callout: Spec("callout", 120, Retry(max=3, interval=[1, 2, 5])),
    close_out: Spec("callout", 120, Retry(max=6, interval=[1, 2, 5, 10, 30, 60]), lambda c: f"callout-accepted-{c}"),
    stop_calls: Spec("callout", 120, Retry(max=3, interval=[1, 5, 15]), lambda c: f"callout-stop-{c}"),
    notify_team: Spec("callout", 120, Retry(max=3, interval=[1, 5, 15]), lambda c: f"crisis-notify-{c}"),
    fetch_recording: Spec("recordings", 120, Retry(max=6, interval=[1, 2, 5, 10, 30, 60]),
                          lambda r: f"fetch-recording-{r}", on_fetch_failed),
}


def enqueue(fn: Callable[..., Any], *args: Any) -> Job | None:
    spec = SPECS[fn]
    options: dict[str, Any] = {"job_timeout": spec.timeout, "result_ttl": 600, "failure_ttl": WEEK,
                               "retry": spec.retry}
    if spec.on_failure is not None:
        options["on_failure"] = Callback(spec.on_failure)
    q = get_runtime().queue(spec.queue)
    if spec.job_id is None:
        return q.enqueue(fn, *args, **options)
    options["job_id"] = spec.job_id(*args)
    for _ in range(3):
        try:
            return q.enqueue(fn, *args, unique=True, **options)
        except DuplicateJobError:  # one is waiting already; a finished one is replaced by a fresh run
            try:
                old = Job.fetch(options["job_id"], connection=q.connection)
            except NoSuchJobError:
                continue
            if _really_waiting(q, old):
                return old
            old.delete()
    return None  # others enqueue and delete the same id concurrently: one of theirs will run


def _really_waiting(q: Queue, job: Job) -> bool:
    """A job whose hash says "queued" but that no queue holds (Redis lost its lists, a crash
    mid-enqueue) would block its dedupe id for good: only a job that will run counts."""
    status = job.get_status(refresh=True)
    if status == "queued":
        return q.get_job_position(job.id) is not None
    return status in WAITING


def wake(callout_id: int, at: datetime) -> Job:
    """The watchdog: run the callout again at `at` (a worker started --with-scheduler runs it)."""
    spec = SPECS[drive_callout]
    delay = max(timedelta(0), at - utcnow())
    return get_runtime().queue(spec.queue).enqueue_in(
        delay, drive_callout, callout_id, at.isoformat(),
        job_id=f"callout-wake-{callout_id}-{int(at.timestamp() * 1000)}",
        job_timeout=spec.timeout, result_ttl=600, failure_ttl=WEEK)


def dispatch(followups: Iterable[Followup]) -> bool:
    """Queue each follow-up; False if any could not be queued (the cycle will do it instead)."""
    ok = True
    for f in followups:
        try:
            match f:
                case Page(incident_id=i):
                    enqueue(page_incident, i)
                case Drive(callout_id=c):
                    enqueue(drive_callout, c)
                case Wake(callout_id=c, at=at):
                    wake(c, at)
                case CloseOut(callout_id=c):
                    enqueue(close_out, c)
                case StopCalls(callout_id=c):
                    enqueue(stop_calls, c)
                case NotifyTeam(crisis_id=c):
                    enqueue(notify_team, c)
                case Fetch(recording_id=r):
                    enqueue(fetch_recording, r)
                case Transcribe(recording_id=r):
                    transcribe_jobs.enqueue(r)
        except (RedisError, OSError) as exc:
            ok = False
            log.warning("could not queue %s (%s); the convergence cycle will do it", f, exc)
        except Exception:  # noqa: BLE001 - the state is committed: a failed hint must never fail the caller
            ok = False
            log.exception("could not queue %s; the convergence cycle will do it", f)
    return ok


def run(command: Callable[..., commands.Outcome], *args: Any, **kwargs: Any) -> commands.Outcome:
    """Carry out one lifecycle command in its own transaction, then queue what it asks for. The
    log lines of a command about one incident name it (hotline.base.log_context)."""
    with about(_incident_argument(command, args, kwargs)):
        with get_runtime().db.session() as s:
            out = command(s, *args, **kwargs)
        dispatch(out.then)
        return out


def _incident_argument(command: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> int | None:
    try:
        bound = inspect.signature(command).bind_partial(None, *args, **kwargs).arguments
    except TypeError:
        return None
    value = bound.get("incident_id")
    return value if isinstance(value, int) else None
