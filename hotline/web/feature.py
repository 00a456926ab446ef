"""The console's web kit in the registry: the `[console]` section (who may log in), the login
pages, `run.py users`, and the words every console page shows."""

from __future__ import annotations

from hotline.base.registry import Command, Feature, Section
from hotline.web import settings
from hotline.web.i18n import N_


def _users(argv: list[str]) -> int:
    from hotline.web.users_cli import main

    return main(argv)


FEATURE = Feature(
    name="web",
    sections=(Section("console", settings.ConsoleSettings, settings.load_section),),
    commands=(Command("users", "add NAME --role admin|viewer [--person KEY]",
                      "hash a console password; prints the config.toml lines", _users, needs_config=False),),
    pages=("hotline.web.auth",),
    words=(N_("admin"), N_("viewer"),  # roles
           N_("Redis"), N_("Database"), N_("Workers"), N_("Queues"), N_("Models"),  # the health page
           N_("idle"), N_("busy"), N_("started"), N_("suspended")),  # RQ worker states
)
