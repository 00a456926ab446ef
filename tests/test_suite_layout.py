"""The test suite's shape: what tests share lives in tests/support/ (never in another test module
or a conftest), and the product ships no test harness.

A test module importing another's tests runs them twice under a different fixture by accident
of name; one importing a conftest makes that conftest's fixtures and helpers an interface
nobody declared. tests/support/ is the one place a test imports from.
"""

from __future__ import annotations

import ast
from pathlib import Path

from hotline.base.config import ROOT

TESTS = ROOT / "tests"


def imported_modules(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            if node.module == "tests" or node.module.startswith("tests.") and node.module.count(".") == 1:
                found.extend((node.lineno, f"{node.module}.{a.name}") for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level > 0:
            found.append((node.lineno, "." * node.level + (node.module or "")))
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, a.name) for a in node.names)
    return found


def test_tests_import_only_tests_support() -> None:
    wrong = []
    for path in sorted(TESTS.rglob("*.py")):
        if TESTS / "support" in path.parents:
            continue
        for line, module in imported_modules(path):
            if module.startswith("."):
                wrong.append(f"{path.relative_to(ROOT)}:{line}: relative import {module}")
            elif (module == "tests" or module.startswith("tests.")) and not (
                    module == "tests.support" or module.startswith("tests.support.")):
                wrong.append(f"{path.relative_to(ROOT)}:{line}: imports {module}")
    assert not wrong, ("tests import only tests/support/ (move what they share there):\n" + "\n".join(wrong))


def test_tests_support_imports_no_test_module() -> None:
    wrong = [f"{path.relative_to(ROOT)}:{line}: imports {module}"
             for path in sorted((TESTS / "support").rglob("*.py"))
             for line, module in imported_modules(path)
             if module.startswith("tests.") and not module.startswith("tests.support")]
    assert not wrong, "\n".join(wrong)


def test_the_product_ships_no_test_harness() -> None:
    """hotline/ and sim/ never import the tests, and hold no harness of their own (the sandbox
    moved to tests/support/)."""
    wrong = []
    for package in ("hotline", "sim"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if path.stem in ("sandbox", "conftest") or path.stem.startswith("test_"):
                wrong.append(f"{path.relative_to(ROOT)}: a test harness in the product")
            for line, module in imported_modules(path):
                if module == "tests" or module.startswith("tests.") or module in ("pytest", "hypothesis"):
                    wrong.append(f"{path.relative_to(ROOT)}:{line}: imports {module}")
    assert not wrong, "\n".join(wrong)
