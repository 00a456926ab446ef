"""Flask app factory. Loads and checks config and flow once, so a bad file fails at start-up."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, Response, abort, jsonify, request, send_file
from sqlalchemy.orm import configure_mappers
from werkzeug.middleware.proxy_fix import ProxyFix

from hotline import console
from hotline.base.config import Config, load_config
from hotline.base.db import create_schema
from hotline.base.log_context import configure_logging
from hotline.base.prompt_store import PromptError, prompt_folder
from hotline.base.prompts import published_prompt
from hotline.base.registry import registry
from hotline.base.runtime import Runtime, get_runtime, set_runtime
from hotline.ivr import twiml_guard
from hotline.ivr.flow import load_flows
from hotline.ivr.voice import bp as voice_bp
from hotline.ivr.voice_context import type_codes
from hotline.responder.crisis_call import bp as crisis_call_bp
from hotline.responder.webhooks import bp as responder_bp
from hotline.service import health, metrics_endpoint
from hotline.sms.webhooks import bp as sms_bp
from hotline.web.keys import take_allowed

PACKAGE_ROOT = Path(__file__).resolve().parents[1]


def create_app(config: Config | None = None) -> Flask:
    config = config or load_config()
    flows = load_flows(config)
    set_runtime(Runtime(config))
    runtime = get_runtime()
    create_schema(runtime.db.engine)
    # Now, not on some caller's first webhook in each web worker: SQLAlchemy configures its
    # mappers at the first ORM query, 20 to 40 ms (bench/webhook_load.py: a fresh worker's first
    # key presses took up to 140 ms inside gunicorn).
    configure_mappers()

    app = Flask("hotline", root_path=str(PACKAGE_ROOT))  # templates/ and static/ live in hotline/
    app.config.update(HOTLINE=config, FLOWS=flows, FLOW=flows[config.flow],
                      TYPE_CODES=type_codes(flows, config.flow))
    hops = config.trusted_proxies
    if hops:  # [web] trusted_proxies: only then may X-Forwarded-* set the client address and the URL
        # Flask's documented way to add WSGI middleware, which mypy reads as assigning to a method.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops,  # type: ignore[method-assign]
                                x_prefix=hops)
    configure_logging()

    metrics_endpoint.register(app, runtime)
    app.register_blueprint(voice_bp)
    twiml_guard.register(app, config)
    app.register_blueprint(responder_bp)
    app.register_blueprint(crisis_call_bp)
    app.register_blueprint(sms_bp)
    console.register(app)
    for bp in registry().blueprints():  # every feature's pages (hotline.base.registry)
        app.register_blueprint(bp)

    @app.get("/prompts/<name>/<lang>.wav")
    def prompt_audio(name: str, lang: str) -> Response:
        """Public on purpose: Twilio fetches <Play> URLs without credentials; prompts hold no secrets."""
        path = published_prompt(config.recordings_dir, name, lang)
        if path is None:
            abort(404)
        return send_file(path, mimetype="audio/wav")

    @app.get("/prompts/<name>/<lang>/v<int:version>.wav")
    def prompt_version_audio(name: str, lang: str, version: int) -> Response:
        """An unpublished take, for the admin to hear back over the phone before publishing: only with
        the signature the admin menu put in its <Play> URL (hotline.web.keys.take_query); anyone else
        hears takes in the console, logged in."""
        if not take_allowed(config, name, lang, version, request.args.to_dict()):
            abort(404)
        try:
            path = prompt_folder(config.recordings_dir, name, lang) / f"v{version:04d}.wav"
        except PromptError:
            abort(404)
        if not path.is_file():
            abort(404)
        return send_file(path, mimetype="audio/wav")

    @app.get("/healthz")
    def healthz() -> tuple[Response, int]:
        ok, body = health.check(runtime)
        body["mode"] = "sim" if config.twilio.sim_mode else "twilio"
        return jsonify(body), 200 if ok else 503

    return app

