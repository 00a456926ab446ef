"""Every prompt the flow speaks, per language: recorded or text-to-speech, with its versions.

Uploads go through `hotline.base.prompt_store`, which converts anything ffmpeg reads to trimmed,
normalised 8 kHz WAV; nothing is live until an admin publishes it, and rollback restores the
previous version (or text-to-speech), so a bad recording is one click from undone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from werkzeug.wrappers import Response

from hotline.base import prompt_store
from hotline.base.prompts import prompts_dir
from hotline.web.auth import guard, require_admin
from hotline.web.i18n import gettext

bp = Blueprint("console_prompts", __name__)
bp.before_request(guard())
MAX_UPLOAD = 20 * 1024 * 1024
PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class PromptRow:
    name: str
    lang: str
    text: str
    state: prompt_store.PromptState
    recordable: bool  # a text with per-call values (a reference number) is always spoken by TTS


def _rows() -> list[PromptRow]:
    cfg, flow = current_app.config["HOTLINE"], current_app.config["FLOW"]
    rows = []
    for name in sorted(flow.prompts):
        for lang in cfg.languages:
            text = flow.prompts[name].get(lang, "")
            recordable = set(PLACEHOLDER.findall(text)) <= {"org"}
            rows.append(PromptRow(name, lang, text, prompt_store.state(cfg.recordings_dir, name, lang), recordable))
    return rows


def _known(name: str, lang: str) -> None:
    cfg, flow = current_app.config["HOTLINE"], current_app.config["FLOW"]
    if name not in flow.prompts or lang not in cfg.languages:
        abort(404)


@bp.get("/console/prompts")
def page() -> str:
    return render_template("console/prompts.html", rows=_rows())


@bp.get("/console/prompts/<name>/<lang>/v<int:version>.wav")
def version_audio(name: str, lang: str, version: int) -> Response:
    _known(name, lang)
    path = prompts_dir(current_app.config["HOTLINE"].recordings_dir) / name / lang / f"v{version:04d}.wav"
    if not path.is_file():
        abort(404)
    return send_file(path, mimetype="audio/wav", conditional=True, max_age=0)


@bp.post("/console/prompts/<name>/<lang>/<action>")
def change(name: str, lang: str, action: str) -> Response:
    require_admin()
    _known(name, lang)
    folder = current_app.config["HOTLINE"].recordings_dir
    try:
        if action == "upload":
            upload = request.files.get("audio")
            data = upload.read(MAX_UPLOAD + 1) if upload else b""
            if not data or len(data) > MAX_UPLOAD:
                raise prompt_store.PromptError("choose an audio file under 20 MB")
            version = prompt_store.add_version(folder, name, lang, data)
            flash(f"{name} {lang}: v{version}", "ok")
        elif action == "publish":
            prompt_store.publish(folder, name, lang, int(request.form.get("version", "0")))
            flash(f"{name} {lang}: " + gettext("Published."), "ok")
        elif action == "rollback":
            back = prompt_store.rollback(folder, name, lang)
            flash(f"{name} {lang}: " + (f"v{back}" if back else gettext("Back to text-to-speech.")), "ok")
        else:
            abort(404)
    except (prompt_store.PromptError, ValueError) as exc:
        flash(f"{name} {lang}: {exc}", "error")
    return redirect(url_for("console_prompts.page") + f"#p-{name}-{lang}")
