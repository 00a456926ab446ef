"""What every console button does after its command: tell the admin what happened, in their
language, back where they pressed it (post/redirect/get, so a reload never repeats an action)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from flask import flash, redirect, request, url_for
from werkzeug.wrappers import Response

from hotline.base.lifecycle import Actor, Channel
from hotline.web.auth import current_viewer
from hotline.web.i18n import gettext
from hotline.web.safe_redirect import same_origin_path


@dataclass(frozen=True)
class Notice:
    """`message` is English with `%(name)s` placeholders; `back` translates it, then fills in
    `values`, so the admin reads it in their own language."""

    ok: bool
    message: str
    values: dict[str, str] = field(default_factory=dict)


def back(incident_id: int, notice: Notice) -> Response:
    """Back where the button was (the list or the incident page), with what happened, translated."""
    flash(gettext(notice.message, **notice.values), "ok" if notice.ok else "error")
    target = same_origin_path(request.form.get("next"))
    return redirect(target or url_for("console_incident.page", incident_id=incident_id))


def viewer_name() -> str:
    """The logged-in user, by name: the lifecycle records who stopped paging or closed."""
    viewer = current_viewer()
    return viewer.name if viewer else "console"


def console_actor() -> Actor:
    """The logged-in user as the actor of a console command: the audit row names them."""
    return Actor(viewer_name(), Channel.CONSOLE)


def console_person(people: Collection[str]) -> str | None:
    """The `[people]` key the logged-in user is: their login's `person`, else a login named as a
    person is that person; None for a login that is nobody on the rota."""
    viewer = current_viewer()
    if viewer is None:
        return None
    if viewer.person:
        return viewer.person
    return viewer.name if viewer.name in people else None
