"""JSON control API under /sim/api so another process or a browser page can drive phones.

A Sim made with a `control_token` (the one `run.py` starts always is) answers these only to a
request carrying it in `X-Sim-Token`: loopback is not a boundary on a shared host, and the
control API places calls from any number and hears what every phone hears. A Sim without one
(tests, `python -m sim`) is open: bind it to loopback.
"""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING, Any

from flask import Blueprint, jsonify, request

from sim import conference
from sim.phones import behaviour_from_json

if TYPE_CHECKING:
    from sim.server import Sim

TOKEN_HEADER = "X-Sim-Token"


def control_blueprint(sim: Sim) -> Blueprint:
    bp = Blueprint("sim_control", __name__, url_prefix="/sim/api")

    @bp.before_request
    def token_required() -> Any:
        token = sim.control_token
        if token and not hmac.compare_digest(request.headers.get(TOKEN_HEADER, "").encode(), token.encode()):
            return jsonify({"error": f"the control API needs the {TOKEN_HEADER} header"}), 401
        return None

    def body() -> dict[str, Any]:
        return request.get_json(silent=True) or request.form.to_dict() or {}

    @bp.errorhandler(Exception)
    def failed(exc: Exception) -> Any:
        return jsonify({"error": str(exc), "type": type(exc).__name__}), 400

    @bp.get("/")
    def info() -> Any:
        return jsonify(
            {
                "account_sid": sim.account_sid,
                "api_base_url": sim.api_base_url,
                "virtual_time": sim.clock.virtual,
                "now": sim.now(),
                "numbers": [n.to_json() for n in sim.numbers.values()],
            }
        )

    @bp.post("/numbers")
    def add_number() -> Any:
        b = body()
        number = sim.add_number(
            b["phone_number"],
            voice_url=b.get("voice_url"),
            voice_method=b.get("voice_method", "POST"),
            voice_fallback_url=b.get("voice_fallback_url"),
            status_callback=b.get("status_callback"),
        )
        return jsonify(number.to_json()), 201

    @bp.post("/dial")
    def dial() -> Any:
        b = body()
        handle = sim.dial(b.get("from"), b["to"])
        return jsonify(handle.to_json()), 201

    @bp.get("/calls")
    def calls() -> Any:
        return jsonify({"calls": [c.to_json() for c in sim.call_objects()]})

    @bp.get("/calls/<sid>")
    def call(sid: str) -> Any:
        return jsonify(sim.handle(sid).to_json())

    @bp.post("/calls/<sid>/press")
    def press(sid: str) -> Any:
        sim.press(sid, str(body()["digits"]))
        return jsonify({"ok": True})

    @bp.post("/calls/<sid>/speak")
    def speak(sid: str) -> Any:
        upload = request.files.get("audio")
        if upload is not None:
            sim.speak(sid, upload.read())
        else:
            sim.speak(sid, body()["path"])
        return jsonify({"ok": True})

    for action in ("answer", "decline", "hangup"):

        def act(sid: str, _action: str = action) -> Any:
            getattr(sim, _action)(sid)
            return jsonify({"ok": True})

        bp.add_url_rule(f"/calls/<sid>/{action}", f"call_{action}", act, methods=["POST"])

    @bp.post("/recordings")
    def add_recording() -> Any:
        """A recording made by a Sim that joined this one (Sim.join): served with our own."""
        b = request.form
        rec = sim.add_recording(b["sid"], b["call_sid"], request.files["audio"].read(), float(b["start_time"]),
                                b.get("source", "RecordVerb"))
        return jsonify({"sid": rec.sid, "url": sim.recording_url(rec.sid)}), 201

    @bp.get("/phones")
    def phones() -> Any:
        return jsonify({"phones": [p.to_json() for p in sim.phones.values()]})

    @bp.post("/phones/<number>/behaviour")
    def set_behaviour(number: str) -> Any:
        phone = sim.phone(number)
        phone._set(behaviour_from_json(phone, body()))
        return jsonify(phone.to_json())

    @bp.post("/faults/calls")
    def fail_calls() -> Any:
        """The next Calls.create requests fail as Twilio's would (e.g. 429/20429, 503/20500, 400/21211)."""
        b = body()
        sim.fail_next_calls(int(b.get("status", 503)), int(b.get("code", 20500)), int(b.get("times", 1)))
        return jsonify({"ok": True})

    @bp.delete("/faults/calls")
    def end_call_faults() -> Any:
        """An outage made of `times` faults ends now: Calls.create works again."""
        return jsonify({"dropped": sim.end_rest_faults()})

    @bp.post("/messaging")
    def messaging() -> Any:
        """{"per_second": 10, "outcomes": {"+886912000001": "undelivered"}} (sim/delivery.py)."""
        b = body()
        rate = b.get("per_second")
        sim.delivery.configure(float(rate) if rate is not None else None, b.get("outcomes") or {})
        return jsonify(sim.delivery.to_json())

    @bp.get("/clock")
    def clock() -> Any:
        return jsonify({"now": sim.now(), "virtual": sim.clock.virtual})

    @bp.post("/clock/advance")
    def advance() -> Any:
        sim.advance(float(body().get("seconds", 0)))
        return jsonify({"now": sim.now()})

    @bp.get("/log")
    def log() -> Any:
        return jsonify(sim.log_json())

    @bp.get("/messages")
    def messages() -> Any:
        return jsonify({"messages": [m.to_json() for m in sim.messages]})

    @bp.get("/conferences")
    def conferences() -> Any:
        return jsonify({"conferences": conference.listing(sim)})

    @bp.get("/events")
    def events() -> Any:
        since = int(request.args.get("since", 0))
        items = sim.events_since(since, int(request.args.get("limit", 1000)))
        return jsonify({"events": items, "next": items[-1]["seq"] if items else since})

    return bp
