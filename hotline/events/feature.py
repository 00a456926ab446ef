"""Events from monitoring tools in the registry: `[events]` and `[event_rules.*]`, the events API,
its tables, `run.py integrations` / `events`, and the activation rules `run.py check` prints."""

from __future__ import annotations

from hotline.base.config import Config
from hotline.base.registry import Command, Feature, Section
from hotline.events import models, settings
from hotline.events.rules import describe


def _integrations(argv: list[str]) -> int:
    from hotline.events.cli import integrations_main

    return integrations_main(argv)


def _events(argv: list[str]) -> int:
    from hotline.events.cli import events_main

    return events_main(argv)


def _check(cfg: Config) -> list[str]:
    found = cfg.section(settings.EventSettings)
    lines = [f"  events API: {found.rate_limit_per_minute}/min per integration, bodies up to "
             f"{found.max_body_kb} KB; activation rules:"]
    for type_key in cfg.incident_types:
        rules = found.rules.get(type_key)
        shown = "; ".join(describe(rules.rules)) if rules and rules.rules else "no rules"
        lines.append(f"    {type_key}: {shown}; otherwise {rules.otherwise if rules else 'page'}")
    return lines


FEATURE = Feature(
    name="events",
    sections=(Section("events", settings.EventSettings, settings.load_section, tables=("event_rules",)),),
    models=(models,),
    commands=(Command("integrations", "add NAME --type TYPE [--hmac] | list | rotate NAME | revoke NAME",
                      "event sources and keys", _integrations),
              Command("events", "test FILE.json", "which activation rule an event would hit (creates nothing)",
                      _events)),
    check=_check,
    pages=("hotline.events.api",),
)
