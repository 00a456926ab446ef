"""`run.py drill ...`: refused scenarios name the key and the fix; create, start, list, report,
CSV; the coverage check prints each gap and exits 1 when there is one."""

from __future__ import annotations

import io

from hotline.drills.cli import main
from tests.support.drills import runtime_with_a_surprise  # noqa: F401  (the `rt` fixture)


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out), out.getvalue()


def test_a_bad_drill_is_refused_with_the_key_and_the_fix(rt):
    code, text = run("create", "--kind", "simulation", "--type", "tsunami", "--participants", "chen,bob",
                     "--policy", "nope")
    assert code == 2
    assert "refused: drill.type = 'tsunami': no incident type `tsunami`" in text
    assert "refused: drill.participants[1] = 'bob'" in text and "refused: drill.policy = 'nope'" in text


def test_create_start_list_report(rt):
    code, text = run("create", "--kind", "full_scale", "--type", "other", "--participants", "lin", "--start")
    assert code == 0 and "drill 1 created" in text and "drill 1 started: report" in text
    code, text = run("list")
    assert "full_scale" in text and "running" in text and "lin" in text
    code, text = run("inject", "1", "twilio_down")
    assert code == 0 and "Twilio were down" in text
    code, text = run("stop", "1", "--reason", "practice over")
    assert code == 0 and "stopped: practice over" in text
    code, text = run("report", "1")
    assert "first ring never" in text and "missed target: accept: never (target 300 s)" in text
    code, text = run("report", "1", "--csv")
    assert text.startswith("section,name,value,detail") and "injected: Twilio fails for 2 minutes" in text
    assert run("start", "1")[0] == 1  # a stopped drill stays stopped


def test_coverage_reports_gaps_and_exits_1(rt):
    code, text = run("coverage", "--weeks", "1")
    assert code == 1
    assert "other: " in text and "pages only one person (lin)" in text
    assert text.strip().endswith("gap(s)")


ROTA = """
[rotas.duty]
members = ["chen"]

[policies.default]
steps = [ { rota = "duty" }, { person = "wang" } ]
"""


def test_coverage_uses_the_overrides_made_in_the_console(tmp_path):
    """The rota `duty` (chen) then wang: two people at every hour. An override made in the console
    ("wang covers duty") leaves only wang for its hours; paging would ring only him, and so the
    coverage check must say so (it read only config.toml's overrides)."""
    from datetime import UTC, datetime, timedelta

    from hotline.base.config import load_config
    from hotline.base.db import create_schema
    from hotline.base.lifecycle import Actor, Channel
    from hotline.base.runtime import Runtime, set_runtime
    from tests.support.callout import BASE_TOML

    path = tmp_path / "config.toml"
    path.write_text(BASE_TOML + ROTA, encoding="utf-8")
    runtime = Runtime(load_config(path, env={"DATABASE_URL": f"sqlite:///{tmp_path / 'h.db'}",
                                             "HOTLINE_DATA_DIR": str(tmp_path)}))
    create_schema(runtime.db.engine)
    set_runtime(runtime)
    try:
        assert run("coverage", "--weeks", "1")[0] == 0
        from hotline.rotas.overrides import add_override
        from hotline.rotas.policy import OncallSettings

        start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=2)
        with runtime.db.session() as s:
            assert add_override(s, runtime.config.section(OncallSettings), set(runtime.config.people), rota="duty",
                                person="wang", start=start, end=start + timedelta(hours=3),
                                actor=Actor("alice", Channel.CONSOLE)).ok
        code, text = run("coverage", "--weeks", "1")
        assert code == 1, text
        assert f"{start.isoformat()} - {(start + timedelta(hours=3)).isoformat()}: pages only one person (wang)" \
            in text
    finally:
        set_runtime(None)
        runtime.db.engine.dispose()
