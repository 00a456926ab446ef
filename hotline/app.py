"""Flask app factory. Loads and checks config and flow once, so a bad file fails at start-up."""

from __future__ import annotations

import logging

from flask import Flask, abort, jsonify, send_file
from werkzeug.middleware.proxy_fix import ProxyFix

from hotline.config import Config, load_config
from hotline.db import create_schema
from hotline.flow import load_flows
from hotline.prompts import published_prompt
from hotline.runtime import Runtime, get_runtime, set_runtime


def create_app(config: Config | None = None) -> Flask:
    config = config or load_config()
    flows = load_flows(config)
    set_runtime(Runtime(config))
    runtime = get_runtime()
    create_schema(runtime.db.engine)

    app = Flask(__name__)
    from hotline.voice_context import type_codes

    app.config.update(HOTLINE=config, FLOWS=flows, FLOW=flows[config.flow],
                      TYPE_CODES=type_codes(flows, config.flow))
    # One trusted proxy hop: X-Forwarded-Proto/Host/Prefix rebuild the URL Twilio signed.
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1, x_port=1, x_prefix=1)  # type: ignore[method-assign]
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    from hotline.voice import bp as voice_bp

    app.register_blueprint(voice_bp)
    for name in ("callout.webhooks", "hotline.console"):
        _register_optional(app, name)

    @app.get("/prompts/<name>/<lang>.wav")
    def prompt_audio(name: str, lang: str):  # type: ignore[no-untyped-def]
        """Public on purpose: Twilio fetches <Play> URLs without credentials; prompts hold no secrets."""
        path = published_prompt(config.recordings_dir, name, lang)
        if path is None:
            abort(404)
        return send_file(path, mimetype="audio/wav")

    @app.get("/prompts/<name>/<lang>/v<int:version>.wav")
    def prompt_version_audio(name: str, lang: str, version: int):  # type: ignore[no-untyped-def]
        """An unpublished take, for the admin to hear back over the phone before publishing."""
        from hotline.prompt_store import PromptError, prompt_folder

        try:
            path = prompt_folder(config.recordings_dir, name, lang) / f"v{version:04d}.wav"
        except PromptError:
            abort(404)
        if not path.is_file():
            abort(404)
        return send_file(path, mimetype="audio/wav")

    @app.get("/healthz")
    def healthz():  # type: ignore[no-untyped-def]
        return jsonify(status="ok", mode="twilio" if config.twilio.api_base_url is None else "sim")

    return app


def _register_optional(app: Flask, module: str) -> None:
    """Packages that add routes expose `register(app)` or a blueprint `bp`."""
    import importlib
    import importlib.util

    if importlib.util.find_spec(module):
        mod = importlib.import_module(module)
        if hasattr(mod, "register"):
            mod.register(app)
        else:
            app.register_blueprint(mod.bp)
