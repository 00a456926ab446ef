"""The transcription worker: an RQ forking worker that loads every configured model *before* it forks.

A plain `rq worker` loads the model inside each work horse, and the horse exits after one
job, so every job pays the multi-second load again. Loading in the parent once means every
forked horse inherits the model copy-on-write: one load per worker, and a horse that crashes
(or is killed at its timeout) still cannot take the worker down.

Invocation for run.py:  `hotline.transcribe.worker.main(["--url", REDIS_URL])`, or equivalently
`rq worker --worker-class transcribe.worker.PreloadingWorker --with-scheduler -u REDIS_URL transcribe`.
"""

from __future__ import annotations

import argparse
import logging
import os
from typing import Any

from redis import Redis
from rq import Queue
from rq.job import Job
from sqlalchemy.orm import configure_mappers

from hotline.base import worker_facts
from hotline.base.heartbeat import BeatingWorker
from hotline.base.runtime import release_db_before_fork
from hotline.transcribe import model_cache
from hotline.transcribe.current import current_settings
from hotline.transcribe.jobs import QUEUE, record_failure

log = logging.getLogger("transcribe.worker")


class PreloadingWorker(BeatingWorker):
    """rq.Worker plus: a heartbeat (hotline.base.heartbeat); preload models at start; fresh DB
    connections in each horse; a `failed` transcript when a horse dies without writing one; a
    prompt stop (hotline.base.rq_worker, through BeatingWorker)."""

    def bootstrap(self, *args: Any, **kwargs: Any) -> None:
        super().bootstrap(*args, **kwargs)
        report = model_cache.preload(current_settings())
        for language, status in report.items():
            self.log.info("transcribe model %s: %s", language, "loaded" if status == "ok" else status)
        if not report:
            self.log.warning("no transcription models configured: every recording will be `skipped`")
        worker_facts.publish(self.connection, self.name, role="transcribe", models=report)
        # SQLAlchemy sets its mappers up at their first use. Done here, once, every horse inherits
        # them; left to the horses, each did it again: about 50 ms of every job (bench/transcribe.py).
        configure_mappers()

    def fork_work_horse(self, job: Job, queue: Queue) -> None:
        release_db_before_fork()
        super().fork_work_horse(job, queue)

    def handle_work_horse_killed(self, job: Job, retpid: int, ret_val: int, rusage: object) -> None:
        super().handle_work_horse_killed(job, retpid, ret_val, rusage)
        if (job.func_name or "").endswith("transcribe_recording") and not job.retries_left:
            try:
                record_failure(int(job.args[0]), f"transcription process died (wait status {ret_val})")
            except Exception:
                self.log.exception("could not record the failure of job %s", job.id)


def main(argv: list[str] | None = None) -> int:
    """Run the transcription worker on the "transcribe" queue until stopped (or drained with --burst)."""
    parser = argparse.ArgumentParser(prog="transcribe-worker", description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="Redis URL (default: the runtime's, from config/REDIS_URL)")
    parser.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    parser.add_argument("--name", help="worker name")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if args.url:
        connection = Redis.from_url(args.url)
    else:
        from hotline.base.runtime import get_runtime

        connection = get_runtime().redis
    worker = PreloadingWorker([Queue(QUEUE, connection=connection)], connection=connection, name=args.name)
    log.info("transcription worker pid %d on queue %r", os.getpid(), QUEUE)
    worker.work(burst=args.burst, with_scheduler=True, logging_level=args.log_level)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
