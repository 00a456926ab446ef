"""Issue #24 finding 3: no redirect of the console goes to another site, with or without login.

`/console/lang/en-US?next=/%09/evil.example` answered `Location: //evil.example` (browsers drop the
tab), and a newline in `next` gave a 500. Every request-chosen target now goes through the
login's `same_origin_path`; the last test keeps it that way for code added later.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from flask import Flask

from hotline.base.config import ROOT, load_config
from hotline.base.runtime import set_runtime
from hotline.service.app import create_app

ENV = {"TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": "t", "HOTLINE_PUBLIC_URL": "https://hotline.example.org"}
PAYLOADS = ["/\t/evil.example", "//evil.example", "/\\evil.example", "/\\\\evil.example",
            "https://evil.example/", "/\n/evil.example", "/\r\n/evil.example", "/x\nSet-Cookie: a=b",
            "javascript:alert(1)", "\t//evil.example", " //evil.example", "/\x00/evil.example",
            "///evil.example", "/\u2028/evil.example", "http:/evil.example", "/\x7f/evil.example"]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    env = {**ENV, "HOTLINE_DATA_DIR": str(tmp_path_factory.mktemp("data"))}
    yield create_app(load_config(ROOT / "config.toml", env=env))
    set_runtime(None)


@pytest.mark.parametrize("target", PAYLOADS)
def test_finding_3_the_language_switch_never_redirects_to_another_site(app: Flask, target: str):
    for raw in (quote(target, safe=""), quote(target, safe="/%\\")):
        r = app.test_client().get(f"/console/lang/en-US?next={raw}")
        assert r.status_code == 302, (target, r.status_code)
        assert r.headers["Location"] == "/console/", (target, r.headers["Location"])


@pytest.mark.parametrize("query", ["next=/%09/evil.example", "next=/%0a/evil.example", "next=/%0d%0aX:%20y",
                                   "next=%2F%5C%2Fevil.example", "next=/%00/evil.example"])
def test_finding_3_the_reported_urls_go_home_without_a_500(app: Flask, query: str):
    r = app.test_client().get(f"/console/lang/en-US?{query}")
    assert r.status_code == 302 and r.headers["Location"] == "/console/"


def test_finding_3_the_language_switch_keeps_a_same_site_next(app: Flask):
    r = app.test_client().get("/console/lang/en-US?next=" + quote("/console/incidents?state=open", safe=""))
    assert r.status_code == 302 and r.headers["Location"] == "/console/incidents?state=open"
    assert "console_lang=en-US" in r.headers.get("Set-Cookie", "")


def test_finding_3_every_redirect_target_from_a_request_goes_through_the_one_check():
    """`redirect(x)` in hotline/ takes `url_for(...)` (plus a fragment), `same_origin_path(...) or
    url_for(...)`, or a name only ever bound to those: nothing that reads the request unchecked."""
    allowed = {"url_for", "same_origin_path"}

    def safe(node: ast.expr) -> bool:
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            return node.func.id in allowed
        if isinstance(node, ast.BoolOp):
            return all(safe(v) for v in node.values)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):  # url_for(...) + "#fragment"
            return safe(node.left)
        if isinstance(node, ast.IfExp):
            return safe(node.body) and safe(node.orelse)
        return isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("/")

    bad = []
    for path in (ROOT / "hotline").rglob("*.py"):
        tree = ast.parse(path.read_text())
        assigned: dict[str, list[ast.expr]] = {}
        for n in ast.walk(tree):
            if isinstance(n, ast.Assign):
                for t in n.targets:
                    if isinstance(t, ast.Name):
                        assigned.setdefault(t.id, []).append(n.value)

        def checked(node: ast.expr, assigned: dict[str, list[ast.expr]] = assigned) -> bool:
            """A name is safe when every value it is ever given is."""
            if isinstance(node, ast.Name):
                return node.id in assigned and all(safe(v) for v in assigned[node.id])
            if isinstance(node, ast.BoolOp):
                return all(checked(v) for v in node.values)
            return safe(node)

        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "redirect":
                if not checked(node.args[0]):
                    bad.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not bad, f"redirect() to a target not checked by same_origin_path: {bad}"
