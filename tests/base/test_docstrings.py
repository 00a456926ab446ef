"""Docstrings and comments stay true about where things are: every module they name by its dotted
name (`hotline.paging.commands`, `hotline.paging.commands.report`) or by its path
(`hotline/base/registry.py`, `tests/support/sandbox.py`) exists, and a name after a module is
defined in it. A move that leaves a docstring pointing at a module that is gone fails here."""

from __future__ import annotations

import ast
import io
import re
import tokenize
from functools import cache
from pathlib import Path

from hotline.base.config import ROOT

DOTTED = re.compile(r"(?<![\w./-])((?:hotline|tests|bench)(?:\.[A-Za-z_]\w*)+)")  # `sim.x` is mostly a Sim's method
PATH = re.compile(r"(?<![\w./-])((?:hotline|sim|tests|bench|deploy)/[\w./-]*\w)")
FILES = sorted(p for top in ("hotline", "sim", "tests", "bench") for p in (ROOT / top).rglob("*.py"))


def prose(source: str) -> list[tuple[int, str]]:
    """(line, text) of every docstring and comment."""
    found = []
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                found.append((body[0].lineno, body[0].value.value))
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            found.append((tok.start[0], tok.string))
    return found


@cache
def defined(module_file: Path) -> frozenset[str]:
    tree = ast.parse(module_file.read_text())
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                for n in ast.walk(t):
                    if isinstance(n, ast.Name):
                        names.add(n.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return frozenset(names)


def module_file(parts: list[str]) -> Path | None:
    base = ROOT.joinpath(*parts)
    if base.with_suffix(".py").is_file():
        return base.with_suffix(".py")
    if (base / "__init__.py").is_file():
        return base / "__init__.py"
    return None


def broken_dotted(name: str) -> str | None:
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        found = module_file(parts[:cut])
        if found is not None:
            rest = parts[cut:]
            if rest and rest[0] not in defined(found):  # not a submodule (looked for first), not defined in it
                return f"{'.'.join(parts[:cut])} has no {rest[0]}"
            return None
    return "no such module"


def test_every_module_named_in_a_docstring_or_comment_exists() -> None:
    problems = []
    for file in FILES:
        for line, text in prose(file.read_text()):
            for m in DOTTED.finditer(text):
                name = m.group(1).rstrip(".")
                if name.rsplit(".", 1)[-1] in ("org", "com", "net"):  # a host name
                    continue
                why = broken_dotted(name)
                if why:
                    problems.append(f"{file.relative_to(ROOT)}:{line}: `{name}`: {why}")
            for m in PATH.finditer(text):
                path = m.group(1).rstrip(".")
                if not (ROOT / path).exists() and not any(ch in path for ch in "*<{") and not path.isupper() \
                        and not re.search(r"/[A-Z]+\.", path):  # bench/NAME.py names a pattern
                    problems.append(f"{file.relative_to(ROOT)}:{line}: {path}: no such file")
    assert not problems, "\n".join(problems)


def test_the_check_finds_a_module_that_is_gone() -> None:
    assert broken_dotted("hotline.lifecycle.commands") == "hotline has no lifecycle"
    assert broken_dotted("hotline.paging.commands.no_such_command") == "hotline.paging.commands has no no_such_command"
    assert broken_dotted("hotline.paging.commands.report") is None
