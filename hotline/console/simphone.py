"""Browser phones for the local sim: pages under /sim and a same-origin proxy to its control API.

The proxy forwards only what a phone does (dial the hotline, press, speak, answer, decline,
hang up, read the event feed) to the sim's own /sim/api, so every call still runs through the
real webhooks. Browser recordings (webm/ogg from MediaRecorder) are converted to 8 kHz WAV here,
since that is what a phone line carries and what the sim expects.
"""

from __future__ import annotations

import io
import re

import requests
from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from pydub import AudioSegment
from werkzeug.wrappers import Response

from hotline.base.ffmpeg_input import decode_to_wav
from hotline.web.auth import guard, require_admin


def _sim_only() -> None:
    """With Twilio credentials there is no sim: /sim and its API do not exist (404)."""
    if _sim_base() is None:
        abort(404)


bp = Blueprint("console_sim", __name__)
api = Blueprint("console_sim_api", __name__)
for _bp, _api in ((bp, False), (api, True)):
    _bp.before_request(_sim_only)
    _bp.before_request(guard(api=_api))
    # A browser phone dials from any number, so it can pose as an operator or a responder: admins only.
    _bp.before_request(require_admin)

ALLOWED = [("GET", re.compile(r"^(events|calls|calls/CA\w+|phones|clock)?$")),
           ("POST", re.compile(r"^(dial|calls/CA\w+/(press|speak|answer|decline|hangup))$"))]
MAX_AUDIO = 25 * 1024 * 1024


def _sim_base() -> str | None:
    """The sim's URL in sim mode; None with real Twilio credentials, whatever api_base_url says."""
    return current_app.config["HOTLINE"].twilio.sim_url


@bp.get("/sim")
def index() -> str:
    cfg = current_app.config["HOTLINE"]
    return render_template("console/sim_index.html", hotline=cfg.numbers, people=cfg.people)


@bp.get("/sim/phone/<number>")
def phone(number: str) -> str:
    cfg = current_app.config["HOTLINE"]
    if not re.fullmatch(r"\+?\d{3,16}", number):
        abort(404)
    name = next((p.name for p in cfg.people.values() if p.phone == number), "")
    return render_template("console/sim_phone.html", number=number, name=name, hotline=cfg.numbers[0])


@bp.get("/sim/open")
def open_phone() -> Response:
    return redirect(url_for("console_sim.phone", number=request.args.get("number", "").strip() or "0"))


@api.route("/sim/api/", defaults={"rest": ""}, methods=["GET", "POST"])
@api.route("/sim/api/<path:rest>", methods=["GET", "POST"])
def proxy(rest: str) -> ResponseReturnValue:
    base = _sim_base() or ""
    if not any(method == request.method and rx.match(rest) for method, rx in ALLOWED):
        abort(404)
    url = f"{base}/sim/api/{rest}"
    headers = current_app.config["HOTLINE"].twilio.sim_headers
    if rest == "dial":
        body = request.get_json(silent=True) or {}
        if body.get("to") not in current_app.config["HOTLINE"].numbers:
            return jsonify({"error": "a browser phone can only dial the hotline"}), 400
        upstream = requests.post(url, json={"from": body.get("from"), "to": body["to"]}, headers=headers,
                                 timeout=10)
    elif rest.endswith("/speak"):
        upload = request.files.get("audio")
        data = upload.read(MAX_AUDIO + 1) if upload else b""
        if not data or len(data) > MAX_AUDIO:
            return jsonify({"error": "no audio, or more than 25 MB"}), 400
        try:
            wav = to_phone_wav(data)
        except Exception as exc:  # noqa: BLE001 - ffmpeg fails in many ways on bad input
            return jsonify({"error": f"could not read the audio: {exc}"[:300]}), 400
        upstream = requests.post(url, files={"audio": ("speech.wav", wav, "audio/wav")}, headers=headers,
                                 timeout=20)
    elif request.method == "POST":
        upstream = requests.post(url, json=request.get_json(silent=True) or {}, headers=headers, timeout=10)
    else:
        # one value per key, the first
        upstream = requests.get(url, params=request.args.to_dict(), headers=headers, timeout=10)
    return Response(upstream.content, status=upstream.status_code, mimetype="application/json")


def to_phone_wav(data: bytes) -> bytes:
    """Whatever the browser recorded (webm/opus, ogg, mp4, wav) -> 8 kHz mono 16-bit WAV."""
    seg = AudioSegment.from_wav(io.BytesIO(decode_to_wav(data)))  # the upload alone, as audio: ffmpeg_input.py
    seg = seg.set_frame_rate(8000).set_channels(1).set_sample_width(2)
    out = io.BytesIO()
    seg.export(out, format="wav")
    return out.getvalue()
