"""An RQ worker that resumes open callouts when it starts, and runs callout jobs without forking.

- Start-up: the schema brought to the code's head (`hotline.base.schema.prepare`: a worker node
  may be the first to reach a fresh database, and one whose schema is newer or, on PostgreSQL,
  behind the code must not run), then one pass of the convergence cycle (`hotline.base.cycle.run_cycle`) that
  queues a drive of every open callout (one job per callout, which this worker and its peers then
  run; driven in the pass itself only if it cannot be queued), so a worker restarted after a
  crash, or a Redis that lost its queues, has every callout's watchdog scheduled again at once.
- Paging's writes pass the embedded SQLite's write gate before web work's (`give_precedence`).
- Jobs from the "callout" queue run in the worker process itself (as rq's SimpleWorker does):
  forking a work horse, then importing and connecting afresh in it, costs more than the
  whole job, and these jobs are short and never block on anything but the network with
  timeouts. Jobs from other queues (audio download, transcription) still fork as usual.
  One job at a time per worker, so run.py starts several (supervisor.CALLOUT_WORKERS): a page
  job waiting on its Calls.create then holds up no other callout's first dial.

Every worker of ours beats (hotline.base.heartbeat, from a thread started in `bootstrap`), so a
hung one is named by /healthz and restarted by the supervisor.

Use with `rq worker --worker-class hotline.service.workers.CalloutWorker ...`
(see `hotline.service.supervisor.worker_argv`).
"""

from __future__ import annotations

import logging
from typing import Any

from rq.job import Job
from rq.queue import Queue
from rq.worker import SimpleWorker, WorkerStatus

from hotline.base.cycle import run_cycle
from hotline.base.db import create_schema
from hotline.base.heartbeat import BeatingWorker
from hotline.base.log_context import configure_logging
from hotline.base.registry import registry
from hotline.base.runtime import get_runtime, release_db_before_fork
from hotline.base.sqlite_gate import give_precedence
from hotline.provider import rest

log = logging.getLogger("hotline.workers")
IN_PROCESS_QUEUES = ("callout",)


class CalloutWorker(BeatingWorker):
    def bootstrap(self, *args: Any, **kwargs: Any) -> None:
        super().bootstrap(*args, **kwargs)
        configure_logging()  # our modules' lines, in HOTLINE_LOG_FORMAT, with what they are about
        if any(q in self.queue_names() for q in IN_PROCESS_QUEUES):
            give_precedence()  # paging's writes before web work's on the embedded SQLite (sqlite_gate)
        create_schema(get_runtime().db.engine)  # raises SchemaError, naming the fix, on a schema it must not use
        if any(q in self.queue_names() for q in IN_PROCESS_QUEUES):
            try:
                run_cycle(every_active=True, exclusive=False)
            except Exception:  # noqa: BLE001 - a failed pass must not stop the worker; the engine retries
                log.exception("convergence pass at worker start failed")

    def execute_job(self, job: Job, queue: Queue) -> None:
        if queue.name not in IN_PROCESS_QUEUES:
            super().execute_job(job, queue)
            return
        self._horse_pid = 0  # no horse: a shutdown signal must not go to a stale pid
        execution = self.prepare_execution(job)
        self.perform_job(job, queue, execution)
        self.set_state(WorkerStatus.IDLE)

    def fork_work_horse(self, job: Job, queue: Queue) -> None:
        """Jobs of other queues fork: the callout jobs' pooled connections are closed first (see
        runtime.release_db_before_fork)."""
        release_db_before_fork()
        super().fork_work_horse(job, queue)

    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        """In-process jobs send no heartbeats while running: cover the whole job timeout."""
        if job.origin in IN_PROCESS_QUEUES and job.timeout and job.timeout > 0:
            return int(job.timeout) + 60
        return super().get_heartbeat_ttl(job, working_time)


class RecordingsWorker(SimpleWorker, BeatingWorker):
    """rq's SimpleWorker (jobs in-process, see supervisor.RECORDING_WORKERS), beating and logging as ours do."""

    def bootstrap(self, *args: Any, **kwargs: Any) -> None:
        warm_up()  # before the first beat: a stop asked for during these seconds leaves no beat behind
        super().bootstrap(*args, **kwargs)
        configure_logging()


def warm_up() -> None:
    """Load every feature (and so every job's module) and the Twilio client's API classes at
    start, not in the first job: a fresh broadcast sender spent seconds of its first job on
    imports (web push, translations, the helper library's API tree, which its twenty sending
    threads all waited for), and the first texts of the broadcast went out that much later
    (bench/broadcast.py)."""
    try:
        registry()
        if get_runtime().config.twilio.configured:
            _ = rest.client().messages, rest.client().calls
    except Exception:  # noqa: BLE001 - only an optimisation: the first job loads what it needs
        log.warning("could not load the jobs' modules at start", exc_info=True)
