"""Is everything the hotline depends on working? Redis, the database, the engines (when each
last finished a convergence pass), RQ workers and queues, transcription models, and whether
calls go to Twilio or the sim. A page and the same as JSON.

Each check catches its own failure, so one dead dependency shows as "down" instead of
taking the health page down with it.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, jsonify, render_template
from sqlalchemy import text
from werkzeug.wrappers import Response

from hotline.base import heartbeat, worker_facts
from hotline.base.runtime import QUEUES, get_runtime
from hotline.console import queries
from hotline.transcribe.coverage import coverage
from hotline.transcribe.settings import TranscribeSettings
from hotline.web.auth import guard
from hotline.web.i18n import N_, gettext

bp = Blueprint("console_health", __name__)
bp.before_request(guard())


def _check(fn: Any) -> dict[str, Any]:
    try:
        return {"ok": True, **fn()}  # a check may answer ok=False itself
    except Exception as exc:  # noqa: BLE001 - any failure is the answer, not an error
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}


def _redis() -> dict[str, Any]:
    info = get_runtime().redis.info("server")
    return {"version": info.get("redis_version")}


def _database() -> dict[str, Any]:
    rt = get_runtime()
    with rt.db.session() as s:
        s.execute(text("SELECT 1"))
    return {"backend": rt.db.engine.dialect.name}


def _workers() -> dict[str, Any]:
    from rq import Worker

    redis = get_runtime().redis
    workers = Worker.all(connection=redis)
    facts = worker_facts.read(redis, [w.name for w in workers])
    return {"count": len(workers), "workers": [
        {"name": w.name, "label": gettext("%(host)s, process %(pid)s", host=w.hostname or "?", pid=w.pid),
         "state": str(w.get_state()), "queues": w.queue_names(), "models": facts.get(w.name, {}).get("models")}
        for w in workers]}


def _engines() -> dict[str, Any]:
    """Each engine (one per node) and how long ago it last finished a convergence pass, from its
    heartbeat (hotline.base.heartbeat): an engine that hangs stops all paging while its process
    still exists, so the page says when each last ran, and goes red when one is stale or none runs."""
    now = time.time()
    beats = sorted((b for b in heartbeat.read(get_runtime().redis) if b.kind == "engine"), key=lambda b: b.field)
    engines = [{"name": b.field, "label": gettext("%(host)s, process %(pid)s", host=b.host, pid=b.pid),
                "cycle_seconds": max(0, int(now - (b.cycle_at if b.cycle_at is not None else b.beat_at))),
                "stale": b.stale_reason(now)} for b in beats]
    if not engines:
        return {"ok": False, "engines": [], "error": N_("No engine is running the convergence cycle.")}
    if any(e["stale"] for e in engines):
        return {"ok": False, "engines": engines, "error": N_("An engine has stopped: its heartbeat is stale.")}
    return {"engines": engines}


def _queues() -> dict[str, Any]:
    rt = get_runtime()
    now = datetime.now(UTC)
    out = {}
    for name in QUEUES:
        q = rt.queue(name)
        oldest = None
        first = q.get_job_ids(0, 0)
        job = q.fetch_job(first[0]) if first else None
        if job is not None and job.enqueued_at is not None:
            oldest = max(0, int((now - job.enqueued_at.replace(tzinfo=job.enqueued_at.tzinfo or UTC)).total_seconds()))
        out[name] = {"queued": q.count, "failed": q.failed_job_registry.count,
                     "scheduled": q.scheduled_job_registry.count, "oldest_seconds": oldest}
    return {"queues": out}


def models_verdict(configured: list[str], loaded: list[dict[str, str] | None]) -> list[str]:
    """The configured languages no running worker has loaded: each is a transcription that will
    wait for ever (or fail), so the health page goes red. `loaded` is each worker's language ->
    "ok" or the reason it failed, None for a worker that loads no models."""
    ready = {lang for sheet in loaded if sheet for lang, status in sheet.items() if status == "ok"}
    return [lang for lang in configured if lang not in ready]


def uncovered(settings: TranscribeSettings, languages: tuple[str, ...]) -> list[dict[str, Any]]:
    """The hotline's languages whose recordings will not be transcribed, each with the one command
    that fixes it (the sentence `run.py models list` says, hotline.transcribe.coverage)."""
    found = [coverage(settings, lang) for lang in languages]
    return [{"language": c.language, "broken": c.spec is not None, "command": c.fix} for c in found if not c.ok]


def _models() -> dict[str, Any]:
    """Configured models, whether each is on disk, and which worker has it loaded: a model only
    on disk transcribes nothing. And the hotline languages nothing transcribes, with the fix."""
    cfg = get_runtime().config
    settings = cfg.section(TranscribeSettings)
    missing_languages = uncovered(settings, cfg.languages)
    if not settings.models:
        return {"configured": {}, "state": "off", "note": None, "uncovered": missing_languages}
    models = {}
    for lang, spec in settings.models.items():
        try:
            directory, present = str(spec.resolve()), True
        except FileNotFoundError as exc:
            directory, present = str(exc), False
        models[lang] = {"model": spec.label, "present": present, "directory": directory}
    workers = _check(_workers)
    missing = models_verdict(list(models), [w.get("models") for w in workers.get("workers", [])])
    for lang in models:
        models[lang]["loaded_by"] = [w["label"] for w in workers.get("workers", [])
                                     if (w.get("models") or {}).get(lang) == "ok"]
    if missing:
        return {"ok": False, "configured": models, "missing": missing, "uncovered": missing_languages,
                "error": N_("Transcription is configured, but no running worker has loaded the model.")}
    return {"configured": models, "uncovered": missing_languages}


GUESSING_KINDS = ("pin_guessing", "login_guessing")


def guessing(hours: int = 24) -> list[dict[str, Any]]:
    """Throttles that started delaying in the last `hours` (someone guessing PINs or passwords):
    a warning for the console, not a failed check (the hotline still works; people should know)."""
    from sqlalchemy import select

    from hotline.base.models import AuditEvent

    since = datetime.now(UTC) - timedelta(hours=hours)
    with get_runtime().db.session() as s:
        rows = s.scalars(select(AuditEvent).where(AuditEvent.kind.in_(GUESSING_KINDS), AuditEvent.at >= since)
                         .order_by(AuditEvent.id.desc()).limit(50))
        return [{"kind": e.kind, "actor": e.actor, "by": (e.detail or {}).get("by"),
                 "user": (e.detail or {}).get("user"), "at": e.at.isoformat()} for e in rows]


def report() -> dict[str, Any]:
    cfg = get_runtime().config
    sim = cfg.twilio.sim_mode
    checks = {"redis": _check(_redis), "database": _check(_database), "engines": _check(_engines),
              "workers": _check(_workers),
              "queues": _check(_queues), "models": _check(_models)}
    if checks["workers"]["ok"] and not checks["workers"]["count"]:
        checks["workers"] = {**checks["workers"], "ok": False, "error": N_("No RQ worker is running.")}
    try:
        guesses = guessing()
    except Exception:  # noqa: BLE001 - the database check above already says why
        guesses = []
    return {"ok": all(c["ok"] for c in checks.values()), "mode": "sim" if sim else "twilio",
            "twilio_api": cfg.twilio.api_origin, "guessing": guesses, **checks}


@bp.get("/console/health")
def page() -> str:
    return render_template("console/health.html", report=report(),
                           seconds_words=lambda n: queries.age(datetime.now(UTC) - timedelta(seconds=n)))


@bp.get("/console/health.json")
def as_json() -> tuple[Response, int]:
    data = report()
    return jsonify(data), (200 if data["ok"] else 503)
