"""Paging's background jobs: page an incident, drive a callout, close it out, announce an accept
to the features that care, stop its calls, fetch a recording, and the convergence cycle's own
(drive an overdue callout, probe Twilio during an outage); their specs (`SPECS`) and the
follow-ups they carry out (`FOLLOWUPS`).

Callout jobs run on the "callout" queue, whose worker runs them in-process
(`hotline.service.workers.CalloutWorker`); downloads on "recordings"; transcription on its own
(`hotline.transcribe.jobs`). Every job re-reads the database and is idempotent, and the
convergence cycle (`hotline.paging.cycle`) does the same work when a job is lost.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from rq import Retry
from rq.job import Job

from hotline.base import jobs
from hotline.base.jobs import JobSpec, enqueue, run
from hotline.base.log_context import about
from hotline.base.models import utcnow
from hotline.base.registry import registry
from hotline.base.runtime import get_runtime
from hotline.paging import commands, recordings
from hotline.paging.callout import closeout, drive
from hotline.paging.callout.phrases import text
from hotline.paging.followups import (
    Accepted,
    CloseOut,
    Drive,
    EndCall,
    Fetch,
    Page,
    PlaceCall,
    StopCalls,
    Transcribe,
    Wake,
)
from hotline.transcribe import jobs as transcribe_jobs


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
            jobs.dispatch([Wake(callout_id, driven.wake_at)])
        return driven.action


def converge_callout(callout_id: int, due: str | None = None) -> str:
    """The convergence cycle's drive of a callout that is due (or of every open one, at a worker's
    start): `drive_callout` under one dedupe id per callout, so a pass every 2 s queues one such
    job, not one per pass, while a webhook's own drives (not deduplicated: each may follow news
    the one before did not see) go on beside it."""
    return drive_callout(callout_id, due)


def probe_provider(due: str | None = None) -> str:
    """The convergence cycle's probe while people wait out a Twilio failure (`drive.probe_waiting`),
    in a worker so that no pass waits on Twilio; the callouts it releases are queued for driving,
    or driven here if they cannot be."""
    now = drive.moment(datetime.fromisoformat(due) if due else None)
    released = drive.probe_waiting(now)
    if released is None:
        return "nothing placed: nothing waits, or Twilio is still down"
    for callout_id in released:
        if not jobs.queued(converge_callout, callout_id, now.isoformat()):
            drive_callout(callout_id, now.isoformat())
    return f"Twilio took the call: {len(released)} callouts driven"


def close_out(callout_id: int) -> None:
    closeout.after_accept(callout_id)


def announce_accepted(incident_ids: tuple[int, ...]) -> int:
    """Tell every feature that cares (its `accepted` hook) that these incidents were accepted;
    each hook is idempotent, so a retry after one failed repeats nothing already done."""
    hooks = registry().accepted
    for hook in hooks:
        hook(tuple(incident_ids))
    return len(hooks)


def stop_calls(callout_id: int) -> int:
    return closeout.after_cancel(callout_id, lambda lang: text(lang, "stopped"))


def end_call(attempt_id: int) -> bool:
    return closeout.end_call(attempt_id, lambda lang: text(lang, "stopped"))


def place_call(attempt_id: int, callout_id: int) -> str:
    """Ring a directly paged person, then drive the callout, which waits on (and watches) that call
    like any other; a lost run of this job is found by the callout's own watchdog, which places it."""
    with about(callout=callout_id):
        drive.place(attempt_id, utcnow())
    return drive_callout(callout_id)


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


SPECS: dict[Callable[..., Any], JobSpec] = {
    page_incident: JobSpec("callout", 60, Retry(max=5, interval=[1, 2, 5, 10, 30]), lambda i: f"page-{i}"),
    drive_callout: JobSpec("callout", 120, Retry(max=3, interval=[1, 2, 5])),
    converge_callout: JobSpec("callout", 120, Retry(max=3, interval=[1, 2, 5]),
                              lambda c, due=None: f"callout-converge-{c}"),
    probe_provider: JobSpec("callout", 120, None, lambda due=None: "twilio-probe"),
    close_out: JobSpec("callout", 120, Retry(max=6, interval=[1, 2, 5, 10, 30, 60]), lambda c: f"callout-accepted-{c}"),
    announce_accepted: JobSpec("callout", 60, Retry(max=5, interval=[1, 2, 5, 10, 30]),
                               lambda ids: "accepted-" + "-".join(map(str, ids[:20]))),
    stop_calls: JobSpec("callout", 120, Retry(max=3, interval=[1, 5, 15]), lambda c: f"callout-stop-{c}"),
    end_call: JobSpec("callout", 60, Retry(max=3, interval=[1, 5, 15]), lambda a: f"attempt-end-{a}"),
    place_call: JobSpec("callout", 120, Retry(max=3, interval=[1, 2, 5]), lambda a, c: f"attempt-place-{a}"),
    fetch_recording: JobSpec("recordings", 120, Retry(max=6, interval=[1, 2, 5, 10, 30, 60]),
                             lambda r: f"fetch-recording-{r}", on_fetch_failed),
}


def wake(callout_id: int, at: datetime) -> Job:
    """The watchdog: run the callout again at `at` (a worker started --with-scheduler runs it)."""
    spec = jobs.spec_of(drive_callout)
    delay = max(timedelta(0), at - utcnow())
    return get_runtime().queue(spec.queue).enqueue_in(
        delay, drive_callout, callout_id, at.isoformat(),
        job_id=f"callout-wake-{callout_id}-{int(at.timestamp() * 1000)}", **jobs.options(spec))


FOLLOWUPS: dict[type[Any], Callable[[Any], object]] = {
    Page: lambda f: enqueue(page_incident, f.incident_id),
    Drive: lambda f: enqueue(drive_callout, f.callout_id),
    Wake: lambda f: wake(f.callout_id, f.at),
    CloseOut: lambda f: enqueue(close_out, f.callout_id),
    Accepted: lambda f: enqueue(announce_accepted, tuple(f.incident_ids)),
    StopCalls: lambda f: enqueue(stop_calls, f.callout_id),
    EndCall: lambda f: enqueue(end_call, f.attempt_id),
    PlaceCall: lambda f: enqueue(place_call, f.attempt_id, f.callout_id),
    Fetch: lambda f: enqueue(fetch_recording, f.recording_id),
    Transcribe: lambda f: transcribe_jobs.enqueue(f.recording_id),
}
