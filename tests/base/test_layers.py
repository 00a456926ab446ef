"""The import contracts hold (import-linter, configured in pyproject.toml): the layers (process
management > channels > features > rotas > engines and the web kit > base), the independence of
the feature packages except through their named doors, and a sim that imports nothing of ours."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hotline.base.config import ROOT


@pytest.mark.slow  # runs lint-imports as a process
def test_every_package_imports_only_the_layers_below_it_and_features_only_their_doors() -> None:
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint, "import-linter is a test dependency (pyproject.toml [test])"
    result = subprocess.run([lint, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout
    assert "Features are independent" in result.stdout and "Layers:" in result.stdout
