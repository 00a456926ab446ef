"""Adding and cancelling rota overrides from the rota page (admins; CSRF-checked POSTs that
redirect back). The times typed are local to the rota's time zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, request, url_for
from werkzeug.wrappers import Response

from hotline.base import jobs
from hotline.base.runtime import get_runtime
from hotline.rotas.overrides import add_override, cancel_override
from hotline.rotas.policy import OncallSettings
from hotline.web.actions import console_actor
from hotline.web.auth import guard, require_admin
from hotline.web.i18n import N_, gettext

bp = Blueprint("console_rota_edit", __name__)
bp.before_request(guard())
bp.before_request(require_admin)

MESSAGES = {"override_added": N_("Override saved."), "override_cancelled": N_("Override cancelled."),
            "no_rota": N_("Choose a rota."), "no_person": N_("Choose a person."),
            "end_before_start": N_("The end must be after the start."),
            "in_the_past": N_("That time is already over."), "bad_time": N_("Give the start and end as date and time."),
            "no_override": N_("No such override."), "already_cancelled": N_("Already cancelled."),
            "who_required": N_("Only administrators can do this.")}



def _back(code: str, ok: bool) -> Response:
    flash(gettext(MESSAGES.get(code, code)), "ok" if ok else "error")
    return redirect(url_for("console_rota.page") + "#overrides")


@bp.post("/console/rota/overrides")
def add() -> Response:
    cfg = get_runtime().config
    settings = cfg.section(OncallSettings)
    rota = settings.rotas.get(request.form.get("rota", ""))
    zone = ZoneInfo(rota.timezone if rota else cfg.timezone)
    try:
        start, end = (datetime.fromisoformat(request.form.get(k, "")).replace(tzinfo=zone) for k in ("start", "end"))
    except ValueError:
        return _back("bad_time", False)
    out = jobs.run(add_override, settings, set(cfg.people), rota=request.form.get("rota", ""),
                   person=request.form.get("person", ""), start=start, end=end, actor=console_actor(),
                   reason=request.form.get("reason", ""))
    return _back(out.code, out.ok)


@bp.post("/console/rota/overrides/<int:override_id>/cancel")
def cancel(override_id: int) -> Response:
    out = jobs.run(cancel_override, override_id, console_actor())
    return _back(out.code, out.ok)
