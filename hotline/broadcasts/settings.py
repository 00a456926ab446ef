"""The `[broadcasts]` section of config.toml.

    [broadcasts]
    two_person_rule = true      # a broadcast from the console or the CLI is sent once a second admin approves it
    retry_minutes = 10          # a question not answered after this: the next channel is tried
    help_type = "other"         # the incident type of an "I need help" answer (a crisis's own type wins)
    sms_per_second = 10         # the provider's limits, shared by every worker (a token bucket in Redis)
    calls_per_second = 2
    email_per_second = 20
    push_per_second = 50

    [broadcasts.email]          # SMTP; the password comes from HOTLINE_SMTP_PASSWORD, never the file
    host = "smtp.example.org"   # empty: no email channel
    port = 587
    starttls = true
    username = "alerts"
    sender = "Example Org <alerts@example.org>"
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hotline.base.config_errors import ConfigProblem, SectionReader

if TYPE_CHECKING:
    from hotline.base.config import Config

KEYS = {"two_person_rule", "retry_minutes", "help_type", "sms_per_second", "calls_per_second", "email_per_second",
        "push_per_second", "email"}
EMAIL_KEYS = {"host", "port", "starttls", "username", "sender"}
RATES = {"sms": ("sms_per_second", 10.0), "voice": ("calls_per_second", 2.0), "email": ("email_per_second", 20.0),
         "push": ("push_per_second", 50.0)}


@dataclass(frozen=True)
class EmailSettings:
    host: str = ""
    port: int = 25
    starttls: bool = False
    username: str = ""
    password: str = field(default="", repr=False)
    sender: str = ""

    @property
    def configured(self) -> bool:
        return bool(self.host and self.sender)


@dataclass(frozen=True)
class BroadcastSettings:
    two_person_rule: bool = True
    retry_minutes: int = 10
    help_type: str = "other"
    rates: dict[str, float] = field(default_factory=lambda: {k: v for k, (_, v) in RATES.items()})
    email: EmailSettings = field(default_factory=EmailSettings)


def load_section(cfg: Config, file: str) -> tuple[BroadcastSettings, list[ConfigProblem]]:
    section = SectionReader(cfg.raw, file, "broadcasts", KEYS)
    raw, bad, problems = section.raw, section.bad, section.problems
    two = raw.get("two_person_rule", True)
    if not isinstance(two, bool):
        bad("two_person_rule", two, "use true or false")
        two = True
    retry = raw.get("retry_minutes", 10)
    if isinstance(retry, bool) or not isinstance(retry, int) or not 1 <= retry <= 1440:
        bad("retry_minutes", retry, "use a whole number of minutes from 1 to 1440")
        retry = 10
    help_type = raw.get("help_type", "other")
    if help_type not in cfg.incident_types:
        bad("help_type", help_type, f"use an incident type: {', '.join(cfg.incident_types)}")
        help_type = "other"
    rates = {}
    for channel, (key, default) in RATES.items():
        value = raw.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0.1 <= value <= 10_000:
            bad(key, value, "use a number of messages per second from 0.1 to 10000 (your provider's limit)")
            value = default
        rates[channel] = float(value)
    return BroadcastSettings(two, retry, help_type, rates, _email(raw.get("email", {}), bad)), problems


def _email(raw: Any, bad: Any) -> EmailSettings:
    if not isinstance(raw, dict):
        bad("email", raw, "must be a table: [broadcasts.email] host = \"...\"")
        return EmailSettings()
    for key in sorted(set(raw) - EMAIL_KEYS):
        bad(f"email.{key}", raw[key], f"unknown setting; use one of: {', '.join(sorted(EMAIL_KEYS))}"
            + ("; the password comes from HOTLINE_SMTP_PASSWORD" if key == "password" else ""))
    port = raw.get("port", 25)
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        bad("email.port", port, "use a port number such as 25, 465 or 587")
        port = 25
    host, sender = raw.get("host", ""), raw.get("sender", "")
    if host and (not isinstance(sender, str) or "@" not in sender):
        bad("email.sender", sender, "give the From address, e.g. \"Example Org <alerts@example.org>\"")
        sender = ""
    starttls = raw.get("starttls", False)
    if not isinstance(starttls, bool):
        bad("email.starttls", starttls, "use true or false")
        starttls = False
    return EmailSettings(str(host or ""), port, starttls, str(raw.get("username", "")),
                         os.environ.get("HOTLINE_SMTP_PASSWORD", ""), str(sender or ""))
