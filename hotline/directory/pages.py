"""The directory pages of the console: people (search, add, edit, remove), an HR import with its
report of refused rows, and groups with their rule and how many people each has now.

Every button is one directory command (`hotline.directory.commands`), acted as the logged-in
admin, so each change is audited; viewers read.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import func, or_, select
from werkzeug.wrappers import Response

from hotline.base.jobs import run
from hotline.base.lifecycle import Outcome
from hotline.base.runtime import get_runtime
from hotline.directory import commands, groups
from hotline.directory.models import CHANNELS, DirectoryGroup, DirectoryPerson, GroupMember
from hotline.web.actions import console_actor
from hotline.web.auth import SAFE_METHODS, guard, require_admin
from hotline.web.i18n import gettext

bp = Blueprint("console_directory", __name__, template_folder="templates")
bp.before_request(guard())
PAGE = 200


@bp.before_request
def _admins_act() -> None:
    if request.method not in SAFE_METHODS:
        require_admin()



def _said(out: Outcome) -> None:
    flash(out.message or out.code, "ok" if out.ok else "error")


@bp.get("/console/directory")
def index() -> str:
    cfg = get_runtime().config
    q = request.args.get("q", "").strip()
    with get_runtime().db.session() as s:
        query = select(DirectoryPerson).where(DirectoryPerson.active.is_(True))
        if q:
            like = f"%{q.lower()}%"
            query = query.where(or_(*(func.lower(c).like(like) for c in (
                DirectoryPerson.name, DirectoryPerson.phone, DirectoryPerson.email, DirectoryPerson.site,
                DirectoryPerson.department))))
        total = s.scalar(select(func.count()).select_from(query.subquery())) or 0
        people = list(s.scalars(query.order_by(DirectoryPerson.site, DirectoryPerson.name).limit(PAGE)))
        group_rows = [(g, groups.count(s, g)) for g in s.scalars(select(DirectoryGroup).order_by(DirectoryGroup.key))]
        editing = s.get(DirectoryPerson, request.args.get("edit", 0, type=int))
        picked = set(s.scalars(select(GroupMember.group_id).where(GroupMember.person_id == editing.id))) \
            if editing else set()
        s.expunge_all()
    return render_template("directory/directory.html", people=people, total=total, q=q, groups=group_rows,
                           editing=editing, picked=picked, channels=CHANNELS, languages=cfg.languages,
                           groups_of=groups.rule_text)


@bp.post("/console/directory/people")
def save() -> Response:
    cfg = get_runtime().config
    form = request.form
    fields = commands.PersonFields(form.get("name", ""), form.get("phone"), form.get("email"),
                                   form.get("department", ""), form.get("site", ""), form.get("language", ""),
                                   tuple(form.getlist("channels")), form.get("console_user"))
    person_id = form.get("person_id", type=int)
    _said(run(commands.save_person, fields, console_actor(), cfg.default_region, cfg.languages, person_id))
    return redirect(url_for("console_directory.index"))


@bp.post("/console/directory/people/<int:person_id>/remove")
def remove(person_id: int) -> Response:
    _said(run(commands.remove_person, person_id, console_actor()))
    return redirect(url_for("console_directory.index"))


@bp.post("/console/directory/import")
def import_csv() -> str | Response:
    cfg = get_runtime().config
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(gettext("Choose a CSV file to import."), "error")
        return redirect(url_for("console_directory.index"))
    try:
        text = upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        flash(gettext("The file is not UTF-8 text: export it as CSV UTF-8."), "error")
        return redirect(url_for("console_directory.index"))
    with get_runtime().db.session() as s:
        report = commands.import_people(s, text, console_actor(), cfg.default_region, cfg.languages)
    return render_template("directory/import_report.html", report=report, filename=upload.filename)


@bp.post("/console/directory/groups")
def save_group() -> Response:
    form = request.form
    _said(run(commands.save_group, form.get("key", ""), form.get("name", ""), form.get("rule", ""), console_actor()))
    return redirect(url_for("console_directory.index") + "#groups")


@bp.post("/console/directory/groups/<key>/members")
def member(key: str) -> Response:
    form = request.form
    person_id = form.get("person_id", 0, type=int)
    _said(run(commands.set_member, key, person_id, form.get("member") == "1", console_actor()))
    return redirect(url_for("console_directory.index", edit=person_id) + "#person-form")
