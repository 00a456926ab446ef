"""The types hold (mypy, configured in pyproject.toml's [tool.mypy]): every function of hotline and
sim annotated and checked, and the core (hotline.base, with the registry, the state-machine helper,
lifecycle, jobs and cycle; hotline.paging, which carries the first law) checked with every flag
that `mypy --strict` sets. mypy's `strict` cannot be set per module, so the core's override lists
the flags; the second test keeps that list as complete as the installed mypy's strict mode."""

from __future__ import annotations

import subprocess
import sys
import tomllib

import pytest

from hotline.base.config import ROOT

CORE = ("hotline.base.*", "hotline.paging.*")


def _mypy_config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]


@pytest.mark.slow  # runs mypy as a process
def test_mypy_finds_no_error_in_the_product() -> None:
    result = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert "No module named mypy" not in result.stderr, "mypy is a test dependency (pyproject.toml [test])"
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "Success: no issues found" in result.stdout


def test_the_core_gets_every_flag_of_strict_mode_and_the_rest_is_annotated() -> None:
    from mypy.main import define_options

    _parser, _names, strict_flags = define_options()
    config = _mypy_config()
    overrides = config.get("overrides", [])
    core = [o for o in overrides if set(CORE) <= set(o["module"])]
    assert len(core) == 1, f"one [[tool.mypy.overrides]] names {CORE}"
    # A flag the override does not set comes from [tool.mypy], which every module gets.
    missing = [f"{dest} = {str(value).lower()}" for dest, value in strict_flags
               if core[0].get(dest, config.get(dest)) != value]
    assert not missing, f"the core's override lacks flags of --strict: {missing}"
    assert config.get("disallow_untyped_defs") is True, "every function outside the core is annotated too"
    assert "ignore_missing_imports" not in config, "untyped packages are named one by one in an override"
    assert all(o.get("disallow_untyped_defs", True) for o in overrides), "no module is let off annotations"
