"""Background jobs: the one place they are enqueued, and the follow-ups that ask for them.

A command writes the desired state to the database first and returns what should happen after
its transaction commits as `Followup` values; `dispatch` hands each to the handler its feature
registered (`hotline.base.registry`), which enqueues a job. A follow-up no feature handles is an
error at start-up (the registry checks) and here, never a silent drop.

Jobs are small functions that take ids, re-read the database and are idempotent, so a retried,
duplicated or late job is harmless. Each job's queue, timeout, retry and dedupe id are chosen
once, in its feature's `JobSpec`. When Redis is down `dispatch` logs and returns: the
convergence cycle (which needs no queue) does the same work from the database.

A Redis that does not answer (frozen, partitioned: it accepts connections and never replies)
costs each try the client's whole socket timeout, where a dead one refuses at once. So once a
try timed out, this process queues nothing for a few seconds and fails at once
(`hotline.base.redis_reach`): a pass of the cycle, or a web thread's follow-ups, pays the timeout
once, not once per job, and the cycle does the work from the database meanwhile.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from redis.exceptions import RedisError
from rq import Callback, Retry
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job
from rq.queue import Queue

from hotline.base import heartbeat
from hotline.base.lifecycle import Outcome
from hotline.base.log_context import about
from hotline.base.redis_reach import check_reachable, note_failure
from hotline.base.registry import RegistryError, registry
from hotline.base.runtime import NoRedis, get_runtime

log = logging.getLogger("hotline.jobs")
WEEK = 7 * 86400
WAITING = ("queued", "started", "scheduled", "deferred")
class Followup:
    """What a command asks to happen after its transaction commits; each kind is a frozen
    dataclass of ids, defined and handled by the feature whose work it is."""


@dataclass(frozen=True)
class JobSpec:
    queue: str
    timeout: int
    retry: Retry | None = None
    job_id: Callable[..., str] | None = None  # a dedupe id: at most one such job waits at a time
    on_failure: Callable[..., None] | None = None


def spec_of(fn: Callable[..., Any]) -> JobSpec:
    try:
        return registry().jobs[fn]
    except KeyError:
        raise RegistryError(f"job {fn.__module__}.{fn.__qualname__} is in no feature's `jobs`") from None


def options(spec: JobSpec) -> dict[str, Any]:
    """RQ's keyword arguments for a job of this kind (timeouts, how long results are kept)."""
    return {"job_timeout": spec.timeout, "result_ttl": 600, "failure_ttl": WEEK}


def enqueue(fn: Callable[..., Any], *args: Any) -> Job | None:
    """Queue `fn(*args)` as its `JobSpec` says (None: another run of it under its dedupe id waits).
    Raises RedisUnreachable at once while Redis is known not to answer."""
    check_reachable()
    try:
        return _enqueue(fn, *args)
    except (RedisError, OSError) as exc:
        note_failure(exc)
        raise


def _enqueue(fn: Callable[..., Any], *args: Any) -> Job | None:
    spec = spec_of(fn)
    kwargs: dict[str, Any] = {**options(spec), "retry": spec.retry}
    if spec.on_failure is not None:
        kwargs["on_failure"] = Callback(spec.on_failure)
    q = get_runtime().queue(spec.queue)
    if spec.job_id is None:
        return q.enqueue(fn, *args, **kwargs)
    kwargs["job_id"] = spec.job_id(*args)
    for _ in range(3):
        try:
            return q.enqueue(fn, *args, unique=True, **kwargs)
        except DuplicateJobError:  # one is waiting already; a finished one is replaced by a fresh run
            try:
                old = Job.fetch(kwargs["job_id"], connection=q.connection)
            except NoSuchJobError:
                continue
            if _really_waiting(q, old):
                return old
            old.delete()
    return None  # others enqueue and delete the same id concurrently: one of theirs will run


def queued(fn: Callable[..., Any], *args: Any) -> bool:
    """`enqueue`, for a caller with a fallback: False (and a log line) when there is no queue to put
    it in, and the caller does the work itself (the convergence cycle's safety net)."""
    try:
        enqueue(fn, *args)
    except NoRedis:
        log.info("no Redis to queue %s in; doing it here", fn.__name__)
        return False
    except (RedisError, OSError) as exc:
        log.warning("could not queue %s (%s); doing it here", fn.__name__, exc)
        return False
    return True


def _really_waiting(q: Queue, job: Job) -> bool:
    """A job whose hash says "queued" but that no queue holds (Redis lost its lists, a crash
    mid-enqueue) would block its dedupe id for good: only a job that will run counts. Likewise a
    job "started" by a worker that died (killed mid-download): RQ's own cleanup releases it only
    minutes later, so its worker is judged now (hotline.base.heartbeat.worker_alive) and a dead
    one's job gives way to the retry."""
    status = job.get_status(refresh=True)
    if status == "queued":
        return q.get_job_position(job.id) is not None
    if status == "started":
        return heartbeat.worker_alive(q.connection, job.worker_name)
    return status in WAITING


def dispatch(followups: Iterable[Followup]) -> bool:
    """Queue each follow-up; False if any could not be queued (the cycle will do it instead)."""
    ok = True
    handlers = registry().followups
    for f in followups:
        handler = handlers.get(type(f))
        if handler is None:
            raise RegistryError(f"no feature carries out the follow-up {f!r}")
        try:
            check_reachable()
            handler(f)
        except NoRedis:  # nothing to queue in: expected in a command run while no hotline runs
            ok = False
            log.info("no Redis to queue %s in; the convergence cycle will do it", f)
        except (RedisError, OSError) as exc:
            ok = False
            note_failure(exc)
            log.warning("could not queue %s (%s); the convergence cycle will do it", f, exc)
        except Exception:  # noqa: BLE001 - the state is committed: a failed hint must never fail the caller
            ok = False
            log.exception("could not queue %s; the convergence cycle will do it", f)
    return ok


def run(command: Callable[..., Outcome], *args: Any, **kwargs: Any) -> Outcome:
    """Carry out one command in its own transaction, then queue what it asks for. The log lines
    of a command about one incident name it (hotline.base.log_context)."""
    return run_and_queue(command, *args, **kwargs)[0]


def run_and_queue(command: Callable[..., Outcome], *args: Any, **kwargs: Any) -> tuple[Outcome, bool]:
    """`run`, and whether every follow-up was queued (False: the convergence cycle does the rest)."""
    with about(_incident_argument(command, args, kwargs)):
        with get_runtime().db.session() as s:
            out = command(s, *args, **kwargs)
        return out, dispatch(out.then)


def _incident_argument(command: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> int | None:
    try:
        bound = inspect.signature(command).bind_partial(None, *args, **kwargs).arguments
    except TypeError:
        return None
    value = bound.get("incident_id")
    return value if isinstance(value, int) else None
