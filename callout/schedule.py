"""Putting callout work on the "callout" RQ queue: now, or later through RQ's scheduler.

Delayed jobs (`enqueue_in`) need a worker started `--with-scheduler`, which
`hotline.supervisor.worker_argv` does. Wake-ups carry the moment they were meant for
(`due`, see `callout.drive`) and have a job id made of callout and due time, so scheduling
the same wake-up twice keeps one job.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from rq import Queue, Retry

from hotline.base.models import utcnow
from hotline.base.runtime import get_runtime

QUEUE = "callout"
JOB = {"job_timeout": 120, "result_ttl": 600, "failure_ttl": 7 * 86400}


def queue() -> Queue:
    return get_runtime().queue(QUEUE)


def step(callout_id: int) -> None:
    """Run the callout now (a webhook saw an attempt end)."""
    queue().enqueue("callout.jobs.step", callout_id, retry=Retry(max=3, interval=[1, 2, 5]), **JOB)


def wake(callout_id: int, at: datetime) -> None:
    """The watchdog: look at the callout again at `at`, whether or not a callback came."""
    delay = max(timedelta(0), at - utcnow())
    queue().enqueue_in(delay, "callout.jobs.wake", callout_id, at.isoformat(),
                       job_id=f"callout-wake-{callout_id}-{int(at.timestamp() * 1000)}", **JOB)


def redial(attempt_id: int, tries: int, delay_seconds: float) -> None:
    queue().enqueue_in(timedelta(seconds=delay_seconds), "callout.jobs.redial", attempt_id, tries,
                       job_id=f"callout-redial-{attempt_id}-{tries}", **JOB)


def redial_pending(attempt_id: int) -> bool:
    """True while a retried Calls.create for this attempt is scheduled, queued or running."""
    from rq.job import Job
    from rq.registry import ScheduledJobRegistry, StartedJobRegistry

    q = queue()
    prefix = f"callout-redial-{attempt_id}-"
    waiting = set(ScheduledJobRegistry(queue=q).get_job_ids()) | set(StartedJobRegistry(queue=q).get_job_ids())
    waiting |= set(q.get_job_ids())
    return any(j.startswith(prefix) and Job.exists(j, connection=q.connection) for j in waiting)


def after_accept(callout_id: int) -> None:
    queue().enqueue("callout.jobs.after_accept", callout_id, job_id=f"callout-accepted-{callout_id}",
                    retry=Retry(max=6, interval=[1, 2, 5, 10, 30, 60]), **JOB)


def start(incident_id: int) -> None:
    queue().enqueue("callout.jobs.start", incident_id, retry=Retry(max=5, interval=[1, 2, 5, 10, 30]), **JOB)
