"""A database already at head is used without Alembic (hotline.base.schema.at_head), so the
processes that start together do not each import it; one behind is still upgraded, with its
backup, and anything the quick reading of the migration files is unsure of takes the full path."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from hotline.base import schema
from hotline.base.config import ROOT
from hotline.base.db import make_engine

# In a process of its own: whether prepare() imported Alembic, and the revision it left.
PREPARE = """
import sys
from hotline.base.db import create_schema, make_engine
from hotline.base import schema
engine = make_engine(sys.argv[1])
create_schema(engine)
with engine.connect() as c:
    print(c.exec_driver_sql("SELECT version_num FROM alembic_version").scalar(), "alembic" in sys.modules)
"""


def prepare_in_a_process(url: str) -> tuple[str, bool]:
    done = subprocess.run([sys.executable, "-c", PREPARE, url], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    revision, imported = done.stdout.split()
    return revision, imported == "True"


def test_the_quick_head_is_alembics_head() -> None:
    assert schema.quick_head() == schema.head()


@pytest.mark.slow  # prepares in processes of their own, to see what they import
def test_at_head_alembic_is_not_loaded_and_behind_it_still_upgrades_after_a_backup(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hotline.db'}"
    engine = make_engine(url)
    with engine.begin() as conn:  # one revision behind, as after an update of the code
        command.upgrade(schema.alembic_config(conn), "0020")
    assert not schema.at_head(engine)
    engine.dispose()

    assert prepare_in_a_process(url) == (schema.head(), True)
    assert len(list((tmp_path / "backups").glob("hotline-before-0020-to-*.db"))) == 1

    assert schema.at_head(engine)
    assert prepare_in_a_process(url) == (schema.head(), False)
    assert len(list((tmp_path / "backups").glob("*.db"))) == 1  # nothing to upgrade: no second backup


def test_an_empty_or_newer_database_is_not_taken_as_at_head(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'hotline.db'}")
    assert not schema.at_head(engine)  # no alembic_version at all: the full path creates it
    schema.upgrade(engine)
    assert schema.at_head(engine)
    with engine.begin() as c:
        c.execute(text("UPDATE alembic_version SET version_num = '0042'"))
    assert not schema.at_head(engine)  # the full path refuses it, naming the revision
    engine.dispose()


def write_revisions(folder: Path, *revisions: tuple[str, str | None], extra: str = "") -> Path:
    folder.mkdir()
    for rev, down in revisions:
        (folder / f"{rev}_x.py").write_text(f'"""x"""\nrevision = "{rev}"\ndown_revision = {down!r}\n'
                                            f"branch_labels = None\ndepends_on = None\n{extra}")
    return folder


def test_the_quick_reading_gives_up_on_anything_but_one_plain_chain(tmp_path: Path) -> None:
    chain = write_revisions(tmp_path / "chain", ("0001", None), ("0002", "0001"), ("0003", "0002"))
    assert schema.quick_head(chain) == "0003"
    branched = write_revisions(tmp_path / "branched", ("0001", None), ("0002", "0001"), ("0003", "0001"))
    assert schema.quick_head(branched) is None  # two heads
    dangling = write_revisions(tmp_path / "dangling", ("0001", None), ("0003", "0002"))
    assert schema.quick_head(dangling) is None  # a parent no file names
    labelled = write_revisions(tmp_path / "labelled", ("0001", None))
    (labelled / "0002_y.py").write_text('revision = "0002"\ndown_revision = "0001"\nbranch_labels = ("b",)\n'
                                        "depends_on = None\n")
    assert schema.quick_head(labelled) is None  # branch labels: Alembic's business
    merged = write_revisions(tmp_path / "merged", ("0001", None))
    (merged / "0002_m.py").write_text('revision = "0002"\ndown_revision = ("0001", "0000")\nbranch_labels = None\n'
                                      "depends_on = None\n")
    assert schema.quick_head(merged) is None  # a merge's tuple of parents
