"""The events channel: monitoring tools (Events API v2, Alertmanager) report through the lifecycle."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from hotline.events.api import bp

    app.register_blueprint(bp)
