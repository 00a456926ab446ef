"""zh-TW and English for the console: the browser's Accept-Language picks, a cookie overrides.

Strings are keyed by their English text (gettext's msgid) so templates stay readable. The
translations live in the gettext catalogue hotline/translations/zh_Hant_TW/LC_MESSAGES/messages.po
(see catalog.py for the pybabel commands), loaded through Flask-Babel. A string missing from
the catalogue shows English rather than a blank, which is better than nothing for a responder at
night; tests/console/test_translations.py fails on any such string."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, g, has_request_context, redirect, request
from flask_babel import Babel, get_translations
from werkzeug.wrappers import Response

from hotline.web.catalog import compile_stale
from hotline.web.safe_redirect import same_origin_path

LANGS = ("zh-TW", "en-US")
COOKIE = "console_lang"
BABEL_LOCALE = {"zh-TW": "zh_Hant_TW", "en-US": "en_US"}

def N_(text: str) -> str:  # noqa: N802 - gettext's name for "mark for extraction, translate later"
    """Marks a string for `pybabel extract` where it is defined (a dict of messages, a state name)."""
    return text


def pick(cookie: str | None) -> str:
    """The cookie wins; then the browser's preference, with any zh → zh-TW and any en → en-US."""
    if cookie in LANGS:
        return str(cookie)
    best = request.accept_languages.best_match(["zh-TW", "zh", "zh-Hant", "en-US", "en"], default="zh-TW")
    return "en-US" if best.startswith("en") else "zh-TW"


def gettext(text: str, **values: object) -> str:
    """`text` in the viewer's language; `%(name)s` placeholders filled after translating, so a
    translation may move them (the convention of gettext and Flask-Babel)."""
    found = _translations().gettext(text) if text else text
    return found % values if values else found


def _translations() -> Any:
    """Flask-Babel's catalogue for this request, looked up once: a list of 200 rows asks thousands
    of times, and each Flask-Babel lookup walks the app and request contexts."""
    if not has_request_context():
        return get_translations()
    found = g.get("_console_translations")
    if found is None:
        found = g._console_translations = get_translations()
    return found


def current_lang() -> str:
    return g.get("lang", "zh-TW") if has_request_context() else "zh-TW"


bp = Blueprint("console_i18n", __name__)


@bp.get("/console/lang/<code>")
def switch(code: str) -> Response:
    """A plain link (no form): choosing a language changes nothing but this browser's cookie."""
    response = redirect(same_origin_path(request.args.get("next")) or "/console/")  # the login's check
    if code in LANGS:
        response.set_cookie(COOKIE, code, max_age=365 * 86400, samesite="Lax", httponly=True)
    return response


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    Babel(app, locale_selector=lambda: BABEL_LOCALE.get(current_lang(), "zh_Hant_TW"),
          default_translation_directories=str(compile_stale()), configure_jinja=False)

    @app.before_request
    def _lang() -> None:
        g.lang = pick(request.cookies.get(COOKIE))

    app.jinja_env.globals.update(_=gettext, LANGS=LANGS)
