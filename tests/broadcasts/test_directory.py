"""The directory: an HR export with bad rows is imported with a report of each refused row and
why (from the CLI and the console), a second import updates instead of doubling, groups by rule
and by hand, and every change is audited."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from hotline.base.jobs import run
from hotline.base.models import AuditEvent
from hotline.directory import commands, groups, hr_csv
from hotline.directory.cli import main as directory_cli
from hotline.directory.models import DirectoryGroup, DirectoryPerson
from tests.support.broadcasts import ADMIN
from tests.support.crisis import client_for
from tests.support.sandbox import Hotline

EXPORT = """\ufeffEmployee Name,Mobile Phone,E-mail Address,Department,Work Location,Preferred Language
Jin Pan,0912 400 001,jin@example.org,HR,Taipei,zh_TW
Kim Lo,+886912400002,KIM@example.org,HR,Hsinchu,en
,+886912400003,nobody@example.org,HR,Taipei,en-US
Lee Ma,12345,lee@example.org,IT,Taipei,en-US
Mia Ro,+886912400005,mia-at-example.org,IT,Taipei,en-US
Ned Qi,+886912400006,ned@example.org,IT,Taipei,fr-FR
Oli Tu,,,IT,Taipei,en-US
Pat Vo,0912400001,pat@example.org,IT,Taipei,en-US
Quinn Xu,+886912400009,qx@example.org,IT,Taipei,en-US
"""


def test_parse_refuses_each_bad_row_with_its_reason():
    rows, refused = hr_csv.parse(EXPORT, "TW", ("zh-TW", "en-US"))
    assert [r.name for r in rows] == ["Jin Pan", "Kim Lo", "Quinn Xu"]
    assert rows[0].phone == "+886912400001" and rows[0].language == "zh-TW" and rows[1].email == "kim@example.org"
    reasons = {r.line: r.reason for r in refused}
    assert reasons[4] == "no name"
    assert "phone '12345' is not a valid number" in reasons[5]
    assert "email 'mia-at-example.org' is not an address" in reasons[6]
    assert "language 'fr-FR' is not one of the hotline's: zh-TW, en-US" in reasons[7]
    assert "neither a phone nor an email" in reasons[8]
    assert reasons[9] == "phone +886912400001 is already on line 2"
    assert hr_csv.parse("a,b\n1,2\n", "TW", ("en-US",))[1][0].reason.startswith("the header needs a name column")


def test_cli_import_reports_and_a_second_import_updates(h: Hotline, tmp_path):
    path = tmp_path / "hr.csv"
    path.write_text(EXPORT, encoding="utf-8")
    out = io.StringIO()
    assert directory_cli(["import", str(path)], out) == 1  # refused rows: not a clean import
    assert out.getvalue().startswith("added 3, updated 0, unchanged 0, refused 6")
    assert "line 5: phone '12345' is not a valid number" in out.getvalue()
    path.write_text("name,phone,email,department,site,language\nKim Lo,+886912400002,kim@example.org,Legal,"
                    "Hsinchu,en-US\n", encoding="utf-8")
    out = io.StringIO()
    assert directory_cli(["import", str(path)], out) == 0
    assert out.getvalue().startswith("added 0, updated 1")
    with h.session() as s:
        assert s.scalar(select(func.count()).select_from(DirectoryPerson).where(DirectoryPerson.name == "Kim Lo")) == 1
        assert s.scalar(select(DirectoryPerson.department).where(DirectoryPerson.name == "Kim Lo")) == "Legal"
        imports = select(func.count()).select_from(AuditEvent).where(AuditEvent.kind == "directory.imported")
        assert s.scalar(imports) == 2


def test_console_import_shows_the_refused_rows(h: Hotline):
    alice = client_for(h, "alice")
    page = alice.post("/console/directory/import", data={"csrf_token": alice.csrf,
                                                         "file": (io.BytesIO(EXPORT.encode()), "hr.csv")},
                      content_type="multipart/form-data").get_data(as_text=True)
    assert "refused 6" in page and "is not a valid number" in page and "mia-at-example.org" in page
    viewer = client_for(h, "victor")
    assert viewer.post("/console/directory/import", data={"csrf_token": viewer.csrf}).status_code == 403


def test_groups_by_rule_and_by_hand(h: Hotline):
    assert run(commands.save_group, "taipei_hr", "Taipei HR", "site = taipei; department = HR", ADMIN).ok
    assert run(commands.save_group, "crew", "Crew", "", ADMIN).ok
    bad = run(commands.save_group, "x", "X", "floor = 3", ADMIN)
    assert not bad.ok and "FIELD one of site, department, language" in bad.message
    with h.session() as s:
        kim = s.scalar(select(DirectoryPerson.id).where(DirectoryPerson.name == "Kim Lo"))
        jin = s.scalar(select(DirectoryPerson.id).where(DirectoryPerson.name == "Jin Pan"))
    assert run(commands.set_member, "crew", kim, True, ADMIN).ok
    with h.session() as s:
        found = groups.members(s, ["taipei_hr", "crew"])
        assert found[jin] == ["taipei_hr"] and found[kim] == ["crew"]
        taipei_hr = s.scalar(select(DirectoryGroup).where(DirectoryGroup.key == "taipei_hr"))
        assert taipei_hr is not None and groups.count(s, taipei_hr) == 1
    assert run(commands.remove_person, jin, ADMIN).ok  # inactive people are in no group
    with h.session() as s:
        assert jin not in groups.members(s, ["taipei_hr"])


def test_console_puts_a_person_in_a_group_by_hand(h: Hotline):
    alice = client_for(h, "alice")
    with h.session() as s:
        kim = s.scalar(select(DirectoryPerson.id).where(DirectoryPerson.name == "Kim Lo"))
    page = alice.get(f"/console/directory?edit={kim}").get_data(as_text=True)
    assert "Groups picked by hand" in page and "Taipei HR: put in" in page and "Crew: take out" in page
    r = alice.post("/console/directory/groups/taipei_hr/members", data={"csrf_token": alice.csrf, "person_id": kim,
                                                                        "member": "1"})
    assert r.status_code == 302
    with h.session() as s:
        assert "taipei_hr" in groups.members(s, ["taipei_hr"]).get(kim or 0, [])
        assert s.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.kind == "directory.member_added")) == 2
