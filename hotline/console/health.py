"""Is everything the hotline depends on working? Redis, the database, RQ workers and queues,
transcription models, and whether calls go to Twilio or the sim. A page and the same as JSON.

Each check catches its own failure, so one dead dependency shows as "down" instead of
taking the health page down with it.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, render_template
from sqlalchemy import text
from werkzeug.wrappers import Response

from hotline.base.runtime import QUEUES, get_runtime

from .auth import guard
from .i18n import N_

bp = Blueprint("console_health", __name__)
bp.before_request(guard())


def _check(fn: Any) -> dict[str, Any]:
    try:
        return {"ok": True, **fn()}
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

    workers = Worker.all(connection=get_runtime().redis)
    return {"count": len(workers), "workers": [
        {"name": w.name, "state": str(w.get_state()), "queues": w.queue_names()} for w in workers]}


def _queues() -> dict[str, Any]:
    rt = get_runtime()
    out = {}
    for name in QUEUES:
        q = rt.queue(name)
        out[name] = {"queued": q.count, "failed": q.failed_job_registry.count,
                     "scheduled": q.scheduled_job_registry.count}
    return {"queues": out}


def _models() -> dict[str, Any]:
    """Models are loaded in the transcription workers, not here: report configured and on disk."""
    settings = get_runtime().config.extras.get("transcribe")
    if settings is None:
        return {"configured": {}, "note": N_("Transcription is not installed.")}
    from transcribe.model_cache import loaded

    in_process = {str(m.directory) for m in loaded().values()}
    models = {}
    for lang, spec in settings.models.items():
        try:
            directory, present = str(spec.resolve()), True
        except FileNotFoundError as exc:
            directory, present = str(exc), False
        models[lang] = {"model": spec.label, "present": present, "directory": directory,
                        "loaded_here": directory in in_process}
    return {"configured": models}


def report() -> dict[str, Any]:
    cfg = get_runtime().config
    sim = cfg.twilio.sim_mode
    checks = {"redis": _check(_redis), "database": _check(_database), "workers": _check(_workers),
              "queues": _check(_queues), "models": _check(_models)}
    if checks["workers"]["ok"] and not checks["workers"]["count"]:
        checks["workers"] = {**checks["workers"], "ok": False, "error": N_("No RQ worker is running.")}
    return {"ok": all(c["ok"] for c in checks.values()), "mode": "sim" if sim else "twilio",
            "twilio_api": cfg.twilio.api_origin, **checks}


@bp.get("/console/health")
def page() -> str:
    return render_template("console/health.html", report=report())


@bp.get("/console/health.json")
def as_json() -> Response:
    data = report()
    return jsonify(data), (200 if data["ok"] else 503)  # type: ignore[return-value]
