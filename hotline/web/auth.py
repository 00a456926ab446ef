"""Logging in and out, who is asking, and the guards every console blueprint puts in front.

Sessions are Flask's signed cookies (HttpOnly, SameSite=Lax, Secure behind https) holding the
user name, a fingerprint of the credential used, a CSRF token and the id of a server-side session
record (console/sessions.py) that logout deletes. The fingerprint means that
changing a password hash in config.toml (or configuring an admin, which retires the first-run
token) logs out every session made with the old credential.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from redis.exceptions import RedisError
from werkzeug.security import check_password_hash
from werkzeug.wrappers import Response

from hotline.base import audit
from hotline.base.lockout import Throttle
from hotline.base.runtime import get_runtime
from hotline.web import sessions
from hotline.web.i18n import N_, gettext
from hotline.web.keys import TOKEN_USER, first_run_token
from hotline.web.safe_redirect import same_origin_path
from hotline.web.settings import ConsoleSettings

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# Checked when the hash does not match any user, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = "pbkdf2:sha256:600000$dummydummydummy$" + "0" * 64

bp = Blueprint("console_auth", __name__)


@dataclass(frozen=True)
class Viewer:
    name: str
    role: str
    person: str | None = None  # the [people] key this login is (`person` in its config), if any

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def _fingerprint(credential: str) -> str:
    return hashlib.sha256(credential.encode()).hexdigest()[:24]


def _credential(name: str) -> tuple[str, str] | None:
    """(role, credential) for a configured user, or the first-run token while no admin exists."""
    cfg = current_app.config["HOTLINE"]
    user = cfg.section(ConsoleSettings).users.get(name)
    if user is not None:
        return user.role, user.password_hash
    token = first_run_token(cfg) if name == TOKEN_USER else None
    return ("admin", token) if token else None


def check_login(name: str, password: str) -> str | None:
    """The role if `password` is right for `name`, else None."""
    found = _credential(name)
    if found is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    role, credential = found
    if credential.startswith(("pbkdf2:", "scrypt:")):
        return role if check_password_hash(credential, password) else None
    return role if hmac.compare_digest(credential.encode(), password.encode()) else None


def current_viewer() -> Viewer | None:
    """Who this request comes from, re-checked against the config and the server-side session
    record on every request: a logged-out or password-changed session is nobody."""
    if "viewer" in g:
        return g.viewer
    name = session.get("user")
    found = _credential(name) if isinstance(name, str) else None
    ok = found is not None and hmac.compare_digest(session.get("fp", ""), _fingerprint(found[1]))
    if isinstance(name, str) and not ok:
        _end_server_session()  # the password changed (or the user is gone): retire this session
    ok = ok and _server_session_alive(name)
    g.viewer = Viewer(name, found[0], _person(name)) if ok and found and isinstance(name, str) else None
    return g.viewer


def _person(name: str) -> str | None:
    user = current_app.config["HOTLINE"].section(ConsoleSettings).users.get(name)
    return user.person if user is not None else None


def _server_session_alive(name: object) -> bool:
    try:
        return sessions.alive(get_runtime().redis, session.get("sid"), str(name))
    except RedisError:  # cannot tell whether it was revoked: fail closed
        current_app.logger.exception("console: session store unreachable")
        return False


def _end_server_session() -> None:
    try:
        sessions.end(get_runtime().redis, session.get("sid"))
    except RedisError:
        current_app.logger.exception("console: session store unreachable")


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return str(session["csrf"])


def csrf_ok() -> bool:
    sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token") or ""
    expected = session.get("csrf", "")
    return bool(expected) and hmac.compare_digest(sent.encode(), expected.encode())


def guard(api: bool = False) -> Callable[[], ResponseReturnValue | None]:
    """A before_request for a console blueprint: log in first (pages redirect, APIs 401), then CSRF."""

    def check() -> ResponseReturnValue | None:
        if current_viewer() is None:
            if not api and request.method not in SAFE_METHODS:
                return session_ended()
            if api:
                abort(401)
            return redirect(url_for("console_auth.login", next=request.full_path.rstrip("?")))
        if request.method not in SAFE_METHODS and not csrf_ok():
            abort(403, N_("This form has expired or did not come from this site: reload the page and try again."))
        return None

    return check


KEPT_FIELD_LIMIT = 4000  # characters of one typed field kept across a login (a note, a reason)


def _referrer_path() -> str | None:
    """The page the form was on, when the browser says so and it is on this site."""
    ref = urlsplit(request.referrer or "")
    if ref.netloc and ref.netloc != request.host:
        return None
    return same_origin_path(ref.path + (f"?{ref.query}" if ref.query else "")) if ref.path else None


def session_ended() -> tuple[str, int]:
    """An action sent after the session ended: nothing is done, and nothing typed is lost.

    The page says so in the viewer's language, with the login form; what was typed (a reason, a
    note) is kept in the session cookie, carried across the login, and put back into the same
    form on the page it came from (confirm.js), so pressing the button again is all it takes.
    """
    fields = {k: v[:KEPT_FIELD_LIMIT] for k, v in request.form.items()
              if k not in ("csrf_token", "next", "password") and v.strip()}
    back = same_origin_path(request.form.get("next")) or _referrer_path() or url_for("console.home")
    session["kept"] = {"action": request.path, "fields": fields, "back": back, "user": session.get("user")}
    return render_template("console/login.html", user="", ended=True, next_path=back, kept=fields), 401


def require_admin() -> None:
    viewer = current_viewer()
    if viewer is None or not viewer.is_admin:
        abort(403, N_("Only administrators can do this."))


# Per user name and address together: 5 wrong passwords at once, then 30 s, 60 s, ... up to 15
# minutes. Not per user name alone: anyone could then keep a named admin out (the rightful admin
# at another address logs in). Per address: spraying many names, 20 at once, then the same delays.
USER_ADDR_THROTTLE = Throttle("login-user-addr", free=5, base=30, cap=15 * 60, window=60 * 60)
ADDR_THROTTLE = Throttle("login-addr", free=20, base=30, cap=15 * 60, window=60 * 60)


def _login_try(name: str, addr: str | None) -> float:
    """Reserve this login's try (before the password is checked: concurrent guesses cannot pass
    the limits); 0 when it may go ahead, else the seconds to wait. The try that starts a delay
    is audited (`login_guessing`) and logged: someone is guessing."""
    redis = get_runtime().redis
    started: list[str] = []
    wait = 0.0
    for scope, throttle, who in (("user", USER_ADDR_THROTTLE, f"{name}@{addr}"), ("address", ADDR_THROTTLE, addr)):
        t = throttle.attempt(redis, who)
        if not t.allowed:  # refused: nothing more is counted
            wait = t.wait_seconds
            break
        if throttle.starts_delay(t):
            started.append(scope)
    if started:
        current_app.logger.warning("console: login guessing for %r from %s, now delayed", name, addr)
        with get_runtime().db.session() as s:
            audit.record(s, "login_guessing", None, actor=addr or "unknown", user=name, by=started)
    return wait


@bp.route("/console/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    if request.method == "POST":
        if not csrf_ok():
            abort(403, N_("This form has expired or did not come from this site: reload the page and try again."))
        name, password = request.form.get("user", "").strip(), request.form.get("password", "")
        redis, addr = get_runtime().redis, request.remote_addr
        wait = _login_try(name, addr)
        if wait:
            flash(gettext("Too many failed logins from here. Try again in %(minutes)s minutes.",
                          minutes=max(1, round(wait / 60))), "error")
            return render_template("console/login.html", user=name), 429
        role = check_login(name, password)
        if role is None:
            current_app.logger.warning("console: failed login for %r from %s", name, addr)
            flash(gettext("Wrong user name or password."), "error")
            return render_template("console/login.html", user=name), 401
        USER_ADDR_THROTTLE.succeeded(redis, f"{name}@{addr}")
        ADDR_THROTTLE.refund(redis, addr)
        credential = _credential(name)
        assert credential is not None
        lifetime = int(current_app.permanent_session_lifetime.total_seconds())
        # No fixation: a fresh session (and CSRF token) per login.
        kept = session.get("kept")  # typed before the session ended: survives the fresh session
        session.clear()
        session.permanent = True
        session.update(user=name, fp=_fingerprint(credential[1]), csrf=secrets.token_urlsafe(32),
                       sid=sessions.start(redis, name, lifetime))
        if isinstance(kept, dict) and kept.get("user") in (None, name):  # never another user's words
            session["kept"] = kept
            flash(gettext("Your session had ended, so that action was not done. What you typed is back in its "
                          "form: press the button again if it is still needed."), "error")
        return redirect(same_origin_path(request.args.get("next")) or url_for("console.home"))
    return render_template("console/login.html", user="")


@bp.post("/console/logout")
def logout() -> Response:
    if csrf_ok():
        _end_server_session()  # a copy of the cookie taken earlier is dead from now on
        session.clear()
    return redirect(url_for("console_auth.login"))
