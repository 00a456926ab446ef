"""The `[crisis]` section of config.toml, and the plans in its folder (`hotline.crisis.plans`).

    [crisis]
    plans_dir = "plans"             # relative to config.toml; a missing folder means no plans
    two_person_rule = true          # a statement is published only after a second admin approves it
    repeat_minutes = 3              # team members who have not confirmed are called again this often
    rounds_before_deputy = 2        # after this many unconfirmed calls the role's deputy is called too
    overdue_renotify_minutes = 15   # an overdue step's owner gets an SMS again this often
    dark_site_dormant = "neutral"   # what the dark site shows when off: "neutral" page or "404"
    contacts = [ { number = "+886277001234", label = { "en-US" = "Hotline" } } ]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hotline.base.config_errors import ConfigProblem, SectionReader
from hotline.base.phone import to_e164
from hotline.crisis.plans import Plan, Problems, load_plans

if TYPE_CHECKING:
    from hotline.base.config import Config

SECTION_KEYS = {"plans_dir", "two_person_rule", "repeat_minutes", "rounds_before_deputy",
                "overdue_renotify_minutes", "dark_site_dormant", "contacts"}
DORMANT = ("neutral", "404")


@dataclass(frozen=True)
class Contact:
    number: str
    label: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CrisisSettings:
    plans: dict[str, Plan] = field(default_factory=dict)
    two_person_rule: bool = True
    repeat_minutes: int = 3
    rounds_before_deputy: int = 2
    overdue_renotify_minutes: int = 15
    dark_site_dormant: str = "neutral"
    contacts: tuple[Contact, ...] = ()
    plans_dir: Path | None = None


def load_section(cfg: Config, file: str) -> tuple[CrisisSettings, list[ConfigProblem]]:
    """The `[crisis]` section and every plan in its folder; same shape as the other loaders."""
    p = Problems()
    section = SectionReader(cfg.raw, file, "crisis", SECTION_KEYS)
    p.found.extend(section.problems)
    raw = section.raw
    numbers = {}
    for name, default, low, high in (("repeat_minutes", 3, 1, 60), ("rounds_before_deputy", 2, 1, 10),
                                     ("overdue_renotify_minutes", 15, 1, 1440)):
        value = raw.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            p.add(file, f"crisis.{name}", value, f"use a whole number from {low} to {high}")
            value = default
        numbers[name] = value
    two_person = raw.get("two_person_rule", True)
    if not isinstance(two_person, bool):
        p.add(file, "crisis.two_person_rule", two_person, "use true or false")
        two_person = True
    dormant = raw.get("dark_site_dormant", "neutral")
    if dormant not in DORMANT:
        p.add(file, "crisis.dark_site_dormant", dormant, "use \"neutral\" (a plain page) or \"404\"")
        dormant = "neutral"
    contacts = _contacts(cfg, file, raw.get("contacts"), p)
    plans_dir = raw.get("plans_dir", "plans")
    plans: dict[str, Plan] = {}
    folder = None
    if not isinstance(plans_dir, str) or not plans_dir:
        p.add(file, "crisis.plans_dir", plans_dir, "name a folder, e.g. \"plans\"")
    else:
        folder = Path(plans_dir) if Path(plans_dir).is_absolute() else cfg.path.parent / plans_dir
        # A missing folder means no plans (a copied config.toml still starts); `run.py check` says so.
        if folder.is_dir():
            plans = load_plans(cfg, folder, p)
    return CrisisSettings(plans, two_person, numbers["repeat_minutes"], numbers["rounds_before_deputy"],
                          numbers["overdue_renotify_minutes"], dormant, contacts, folder), p.found


def _contacts(cfg: Config, file: str, raw: Any, p: Problems) -> tuple[Contact, ...]:
    if raw is None:
        return tuple(Contact(n) for n in cfg.numbers)
    if not isinstance(raw, list):
        p.add(file, "crisis.contacts", raw, "use a list: [ { number = \"+886...\", label = { \"en-US\" = \"...\" } } ]")
        return ()
    out = []
    for i, item in enumerate(raw):
        number = to_e164(item.get("number"), cfg.default_region) if isinstance(item, dict) else None
        label = item.get("label", {}) if isinstance(item, dict) else None
        if number is None:
            p.add(file, f"crisis.contacts[{i}].number", item, "give a valid phone number, e.g. \"+886277001234\"")
        elif not isinstance(label, dict) or not all(isinstance(v, str) for v in label.values()):
            p.add(file, f"crisis.contacts[{i}].label", label, "give labels per language: { \"en-US\" = \"Press\" }")
        else:
            out.append(Contact(number, dict(label)))
    return tuple(out)
