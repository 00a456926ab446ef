"""Routes of the dark site, under /site/. Public: no login, no session, no cookies (templates are
rendered straight from the Jinja environment, so the console's context processors never touch
the session), no scripts; `Cache-Control` lets a CDN hold each page for a minute and serve a
stale copy for a day if this server is down. Relative links only, so the static export works
from any folder."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, request
from werkzeug.wrappers import Response

from hotline.base.config import Config
from hotline.base.runtime import get_runtime
from hotline.crisis.darksite import atom
from hotline.crisis.darksite.view import Site, build, words
from hotline.crisis.settings import CrisisSettings

bp = Blueprint("darksite", __name__)
CSS = Path(__file__).with_name("site.css")
CACHE = "public, max-age=60, s-maxage=60, stale-while-revalidate=60, stale-if-error=86400"
DORMANT_CACHE = "public, max-age=10, s-maxage=10"  # switching the site on shows within seconds
CSP = "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; " \
      "frame-ancestors 'none'"


def _cfg() -> Config:
    return get_runtime().config


def _site(lang: str) -> Site:
    with get_runtime().db.session() as s:
        return build(s, _cfg(), lang)


def _lang(lang: str | None) -> str:
    """The URL's language; for the bare /site/, the reader's browser's (Accept-Language), else the
    organisation's default."""
    cfg = _cfg()
    if lang is None:
        return request.accept_languages.best_match(cfg.languages, default=cfg.default_language) or \
            cfg.default_language
    if lang not in cfg.languages:
        abort(404)
    return lang


def _public(body: str | bytes, mimetype: str, status: int = 200, on: bool = True) -> Response:
    response = Response(body, status=status, mimetype=mimetype)
    response.headers["Cache-Control"] = CACHE if on else DORMANT_CACHE
    response.headers["Content-Security-Policy"] = CSP
    if status == 200:
        response.add_etag()
        response.make_conditional(request)
    return response


def render_page(site: Site, root: str, preview: bool = False) -> tuple[str, int]:
    """The page's HTML and status: the statements when on; when dormant, a neutral page or 404.
    `preview`: the console's preview of a draft, the same page under a "not public" banner."""
    cfg = _cfg()
    if not site.on and not preview:
        if cfg.section(CrisisSettings).dark_site_dormant == "404":
            return "Not Found", 404
        template = "darksite/dormant.html"
    else:
        template = "darksite/page.html"
    html = current_app.jinja_env.get_template(template).render(
        site=site, cfg=cfg, w=words(site.lang), root=root, default=cfg.default_language, names=_language_names(),
        preview=preview)
    return html, 200


def _language_names() -> dict[str, str]:
    return {lang: words(lang)["language"] for lang in _cfg().languages}


@bp.get("/site/")
@bp.get("/site/<lang>/")
def page(lang: str | None = None) -> Response:
    site = _site(_lang(lang))
    html, status = render_page(site, "" if lang is None else "../")
    return _chosen(_public(html, "text/plain" if status == 404 else "text/html", status, site.on), lang)


def _chosen(response: Response, lang: str | None) -> Response:
    """The bare /site/ differs by the reader's language: a CDN keeps one copy per language."""
    if lang is None:
        response.vary.add("Accept-Language")
    return response


@bp.get("/site/feed.atom")
@bp.get("/site/<lang>/feed.atom")
def feed(lang: str | None = None) -> Response:
    cfg, lang_ = _cfg(), _lang(lang)
    site = _site(lang_)
    if not site.on:
        return _chosen(_public("Not Found", "text/plain", 404, on=False), lang)
    base = f"{cfg.public_url}/site/" + ("" if lang is None else f"{lang_}/")
    return _chosen(_public(atom.feed(cfg, site, base + "feed.atom", base), "application/atom+xml"), lang)


@bp.get("/site/site.css")
def css() -> Response:
    return _public(CSS.read_text(encoding="utf-8"), "text/css")
