"""The coverage check: a seeded hole is found, and the shipped config.toml has none."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from hotline.base.config import Person, load_config
from hotline.rotas.coverage import DOUBLE, NO_LANGUAGE, NOBODY, ONE, check
from hotline.rotas.policy import OncallSettings, Override, Policy, Rota, Step

PEOPLE = {
    "chen": Person("chen", "Chen Wei", "+886912000001", ("zh-TW",)),
    "wang": Person("wang", "Wang Hao", "+886912000003", ("zh-TW",)),
    "lin": Person("lin", "Lin Mei", "+886912000002", ("zh-TW",)),
    "ghost": Person("ghost", "Ghost", "+886912000007", ("ja-JP",)),
}
START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in Taipei


def rota(key: str, members: tuple[str, ...], overrides: tuple[Override, ...] = ()) -> Rota:
    return Rota(key, members, 0, time(9), "Asia/Taipei", date(2026, 1, 5), 1, overrides)


def settings(rotas: dict[str, Rota], policies: dict[str, Policy]) -> OncallSettings:
    return OncallSettings(rotas=rotas, policies=policies)


def test_a_sunday_night_hole_is_found_and_nothing_else():
    # Sunday 22:00 to Monday 06:00 Taipei, the week of 8 March, the rota is handed to nobody listed.
    hole = Override("it", "nobody", datetime(2026, 3, 8, 14, tzinfo=UTC), datetime(2026, 3, 8, 22, tzinfo=UTC))
    s = settings({"it": rota("it", ("chen", "wang"), (hole,))},
                 {"default": Policy("default", (Step("rota", "it", 25), Step("person", "lin", 25)))})
    gaps, checks = check(s, PEOPLE, ["cyber_security"], ["zh-TW", "en-US"], START, weeks=4)
    assert checks == 4 * 7 * 24
    assert [(g.problem, g.start, g.end, g.people) for g in gaps] == [
        (ONE, hole.start, hole.end, ("lin",))]
    no_lin = settings(s.rotas, {"default": Policy("default", (Step("rota", "it", 25),))})
    gaps, _ = check(no_lin, PEOPLE, ["cyber_security"], ["zh-TW"], START, weeks=4)
    assert (NOBODY, hole.start, hole.end) in [(g.problem, g.start, g.end) for g in gaps]


def test_language_and_double_duty():
    s = settings({"it": rota("it", ("chen", "wang")), "pr": rota("pr", ("lin", "wang"))},
                 {"cyber_security": Policy("cyber_security", (Step("rota", "it", 25), Step("person", "lin", 25))),
                  "reputation": Policy("reputation", (Step("rota", "pr", 25), Step("person", "chen", 25))),
                  "default": Policy("default", (Step("person", "ghost", 25),))})
    gaps, _ = check(s, PEOPLE, ["cyber_security", "reputation", "other"], ["zh-TW"], START, weeks=2)
    found = {(g.type_key, g.problem, g.start) for g in gaps}
    # week 2: wang is first for IT and for PR at once
    second_week = datetime(2026, 3, 9, 1, tzinfo=UTC)
    assert ("cyber_security", f"{DOUBLE} reputation", second_week) in found
    assert ("reputation", f"{DOUBLE} cyber_security", second_week) in found
    assert ("other", NO_LANGUAGE, START) in found and ("other", ONE, START) in found
    assert not [g for g in gaps if g.type_key != "other" and g.start < second_week]


def test_the_shipped_config_has_no_gap():
    cfg = load_config(env={})
    gaps, checks = check(cfg.section(OncallSettings), cfg.people, cfg.incident_types, cfg.languages, START, weeks=8)
    assert checks == 8 * 7 * 24 * len(cfg.incident_types)
    assert gaps == [], "\n".join(map(str, gaps))
