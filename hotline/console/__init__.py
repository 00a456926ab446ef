"""The web console's shell: the incident list and pages, the CSV export, recorded prompts, the
health page, and browser phones for the sim; each feature brings its own pages (the registry).

`hotline.service.app.create_app` calls `register(app)`. It checks the
`[console]` section first, so a bad user entry stops start-up with a clear message, like every
other section of config.toml.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.lists import format_list
from flask import Flask, g

from hotline.base.config import Config
from hotline.console import dashboard, errors, export, headers, health, incident, prompts, simphone
from hotline.transcribe.coverage import fix_command
from hotline.web import auth, i18n
from hotline.web.i18n import N_, gettext
from hotline.web.keys import first_run_token, secret_key
from hotline.web.settings import ConsoleSettings

__all__ = ["register", "first_run_token"]

# State and outcome keys said as words ("no_answer" is "no answer"; in zh-TW "無人接聽"): a key
# without an entry here is itself a word of the catalogue (paging's feature.py lists them).
WORDS = {"no_answer": N_("no answer"), "no_key": N_("answered, no key pressed"), "too_late": N_("too late"),
         "called_back": N_("called back"), "closed_out": N_("closed out"), "false_alarm": N_("false alarm"),
         # the Events API's severities, beside a caller's danger / normal / unknown
         "critical": N_("critical"), "error": N_("error"), "warning": N_("warning"), "info": N_("info")}

# The console's own pages; each feature's come from the registry (`hotline.service.app`).
BLUEPRINTS = (dashboard.bp, export.bp, incident.bp, prompts.bp, health.bp, simphone.bp, simphone.api)


def register(app: Flask) -> None:
    cfg: Config = app.config["HOTLINE"]
    settings = cfg.section(ConsoleSettings)
    app.config.update(
        SECRET_KEY=secret_key(cfg),
        SESSION_COOKIE_NAME="hotline_console",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=cfg.public_url.startswith("https://"),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_hours),
        MAX_CONTENT_LENGTH=32 * 1024 * 1024,
    )
    i18n.register(app)
    headers.register(app, cfg.public_url)
    errors.register(app)
    for bp in BLUEPRINTS:
        app.register_blueprint(bp)
    zone = ZoneInfo(cfg.timezone)

    def local(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
        return moment.astimezone(zone).strftime(fmt) if moment else ""

    def when(moment: datetime | None) -> str:
        """A clock time for today, with the date for anything older: "15:07", "11-27 22:40"."""
        if moment is None:
            return ""
        here, today = moment.astimezone(zone), datetime.now(zone).date()
        return here.strftime("%H:%M" if here.date() == today else "%m-%d %H:%M")

    def language_name(code: str) -> str:
        """A language by its name in the viewer's language (Babel's CLDR data): "中文 (台灣)"."""
        try:
            return Locale.parse(code.replace("-", "_")).get_display_name(i18n.BABEL_LOCALE.get(
                g.get("lang", "zh-TW"), "zh_Hant_TW")) or code
        except (ValueError, TypeError, UnknownLocaleError):
            return code

    def listed(items: list[str] | tuple[str, ...]) -> str:
        """Items as a sentence's list in the viewer's language: "1004, 1005, and 1013", "1004、1005和1013"."""
        return format_list(list(items), locale=i18n.BABEL_LOCALE.get(g.get("lang", "zh-TW"), "zh_Hant_TW"))

    def word(key: str | None) -> str:
        """A state, outcome or severity key as a word in the viewer's language, never the raw key."""
        return gettext(WORDS.get(key or "", key or "")) if key else ""

    @app.context_processor
    def _globals() -> dict[str, Any]:
        viewer = auth.current_viewer()
        return {"viewer": viewer, "me": viewer.person if viewer else None, "csrf_token": auth.csrf_token,
                "cfg": cfg, "local": local,
                "when": when, "language_name": language_name, "listed": listed, "word": word,
                "type_name": lambda key: cfg.type_name(key, g.get("lang", cfg.default_language)),
                "sim_on": cfg.twilio.sim_mode, "lang": g.get("lang", "zh-TW"),
                "people": cfg.people, "transcription_fix": fix_command}
