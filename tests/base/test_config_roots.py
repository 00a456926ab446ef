"""Config problems at their root, and where relative storage paths resolve."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.base.config import ROOT, ConfigError, load_config

GOOD = (ROOT / "config.toml").read_text(encoding="utf-8")


def _with_lin_phone(phone: str) -> str:
    people = GOOD.index("[people.lin]")
    at = GOOD.index("phone = ", people)
    return GOOD[:at] + f'phone = "{phone}"' + GOOD[GOOD.index("\n", at):]


def test_one_bad_phone_number_is_one_problem_not_knock_on_errors(tmp_path: Path):
    assert 'members = ["lin"]' in GOOD and '{ person = "lin" }' in GOOD  # lin is referenced by rotas and a policy
    path = tmp_path / "config.toml"
    path.write_text(_with_lin_phone("12345"), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(path, env={})
    assert [p.key for p in err.value.problems] == ["people.lin.phone"]


def test_a_reference_to_a_person_who_does_not_exist_is_still_reported(tmp_path: Path):
    path = tmp_path / "config.toml"
    path.write_text(GOOD.replace('members = ["lin"]', 'members = ["lni"]'), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(path, env={})
    assert any(p.value == "lni" and "no person" in p.fix for p in err.value.problems)


def test_relative_recordings_dir_follows_the_data_dir_when_it_is_set(tmp_path: Path):
    assert 'recordings_dir = "recordings"' in GOOD
    cfg = load_config(env={"HOTLINE_DATA_DIR": str(tmp_path / "instance")})
    assert cfg.data_dir == tmp_path / "instance"
    assert cfg.recordings_dir == tmp_path / "instance" / "recordings"
    assert cfg.flows_dir == ROOT / "ivr_flows"  # configuration, not storage: next to config.toml
    assert load_config(env={}).recordings_dir == ROOT / "recordings"
    absolute = load_config(env={"HOTLINE_DATA_DIR": str(tmp_path), "HOTLINE_RECORDINGS_DIR": "/srv/rec"})
    assert absolute.recordings_dir == Path("/srv/rec")
