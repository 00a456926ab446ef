"""The one registry: every feature declares, in its own package, what it adds to the hotline.

A feature package (paging, rotas, crisis, drills, events, retention, ...) and the engines and
kits that need a place at start-up (transcription, the console's web kit) each have a module
`feature.py` whose `FEATURE` lists what it adds: its config sections, its tables, its jobs and
the follow-ups they carry out, its steps of the convergence cycle, its `run.py` commands and
lines of `run.py check`, its console pages and its words for the catalogue, its part in the SMS
channel, what it does once an incident is accepted, and the reporters' media it keeps (which
retention deletes with the recordings). Adding a feature
is adding its package and one name to `PACKAGES`; nothing else central is edited by hand.

Loading checks the whole before anything runs: a follow-up type that no feature handles, or a
section, command, job or cycle step that two features claim, raises `RegistryError` naming
both, so a forgotten piece fails at start-up instead of dropping work silently.

The registry finds the features by name (importlib), so this module, at the bottom of the
layers, imports nothing above it; `lint-imports` still sees that features import the base and
never the reverse.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from types import ModuleType

    from hotline.base.config import Config
    from hotline.base.config_errors import ConfigProblem
    from hotline.base.cycle import CycleReport
    from hotline.base.jobs import Followup, JobSpec

# The features, in the order their cycle steps run when two steps share an order number.
PACKAGES = (
    "hotline.web",
    "hotline.transcribe",
    "hotline.rotas",
    "hotline.paging",
    "hotline.retention",
    "hotline.events",
    "hotline.crisis",
    "hotline.drills",
    "hotline.directory",
    "hotline.broadcasts",
    "hotline.textreports",
    "hotline.reportapp",
    "hotline.reviews",
    "hotline.trends",
)

T = TypeVar("T")


class RegistryError(Exception):
    """Two features claim one name, or a follow-up has nobody to carry it out."""


@dataclass(frozen=True)
class Section(Generic[T]):
    """A part of config.toml a feature reads and validates itself."""

    name: str  # its key, e.g. "drills"; `Config.section(kind)` returns its value
    kind: type[T]  # the typed value the rest of the code reads
    load: Callable[[Config, str], tuple[T, list[ConfigProblem]]]  # (value, problems) from (config, file)
    tables: tuple[str, ...] = ()  # the top-level TOML tables it reads, `name` included


@dataclass(frozen=True)
class CycleStep:
    """One step of the convergence cycle: it finds work the database says is due and does it."""

    name: str  # the key its work is reported under (`CycleReport[name]`)
    order: int  # lower runs first: paging (10s) before everything that builds on it
    run: Callable[[datetime, CycleReport], object]


@dataclass(frozen=True)
class Command:
    """A `run.py` command."""

    name: str
    args: str  # what follows the name in `run.py help`: "create|list|start ..."
    summary: str  # what it does, in `run.py help`
    run: Callable[[list[str]], int]
    help: str = ""  # `run.py NAME --help`, for a command without a parser of its own
    needs_config: bool = True  # the config is checked first: a broken one ends in its problems, exit 2


@dataclass(frozen=True)
class InboundText:
    """A text message (SMS or MMS) that reached one of the hotline's numbers, as the SMS channel
    read it from a signed webhook. `sender` is the caller ID, not an identity."""

    sid: str
    sender: str  # E.164
    to: str  # the hotline number it was sent to
    body: str
    media: tuple[str, ...] = ()  # MMS media URLs (at the provider)


@dataclass(frozen=True)
class TextReply:
    """What a feature makes of an inbound text: the answer to send back (None: send nothing), and
    the follow-ups its commands returned, which the SMS channel dispatches after its commit."""

    answer: str | None
    then: tuple[Followup, ...] = ()


@dataclass(frozen=True)
class TextHandler:
    """A feature's part in the SMS channel: offered each inbound text in `order` (lower first);
    the first that returns a reply has it (a reply to a broadcast's question, a responder's
    "1 1012" accept, a report by text, ...)."""

    name: str
    order: int
    handle: Callable[[Any, InboundText], TextReply | None]  # (session, text) -> reply or None: not mine


@dataclass(frozen=True)
class KeptMedia:
    """What a feature keeps from a reporter besides recordings and transcripts (a text's photos, an
    app report's photo and voice memo). Retention deletes it with the recordings, after the same
    time, so a policy that promises "audio gone after 90 days" also covers what came another way."""

    name: str
    held: Callable[[Any], Any]  # (the incidents.id column) -> an SQL EXISTS: the incident still keeps some
    purge: Callable[[Any, int], int]  # (session, incident id) -> how many it deleted; files first, then rows


@dataclass(frozen=True)
class Feature:
    name: str
    sections: tuple[Section[Any], ...] = ()
    models: tuple[ModuleType, ...] = ()  # imported so their tables join the schema
    jobs: Mapping[Callable[..., Any], JobSpec] = field(default_factory=dict)
    followups: Mapping[type[Followup], Callable[[Any], object]] = field(default_factory=dict)
    cycle: tuple[CycleStep, ...] = ()
    commands: tuple[Command, ...] = ()
    check: Callable[[Config], list[str]] | None = None  # lines `run.py check` prints about it
    pages: tuple[str, ...] = ()  # modules with a Flask blueprint `bp`, imported by the web app only
    words: tuple[str, ...] = ()  # words from data the console translates (`N_`), for the catalogue
    texts: tuple[TextHandler, ...] = ()  # its part in the SMS channel
    # Called with the ids of incidents someone just accepted (by any channel), in a job after the
    # accept's commit, never inside it: a feature's trouble cannot fail an accept. Idempotent
    # (retries, and the feature's own cycle step as the safety net for a lost job).
    accepted: tuple[Callable[[tuple[int, ...]], object], ...] = ()
    media: tuple[KeptMedia, ...] = ()  # reporters' media retention must delete (`KeptMedia`)


@dataclass(frozen=True)
class Registry:
    features: tuple[Feature, ...]
    sections: Mapping[str, Section[Any]]
    jobs: Mapping[Callable[..., Any], JobSpec]
    followups: Mapping[type[Followup], Callable[[Any], object]]
    cycle: tuple[CycleStep, ...]
    commands: Mapping[str, Command]

    def section_for(self, kind: type[T]) -> Section[T]:
        for section in self.sections.values():
            if section.kind is kind:
                return section
        raise RegistryError(f"no feature declares a config section of type {kind.__name__}")

    def blueprints(self) -> list[Any]:
        """Every feature's console pages (imported only here, so engines and workers never load them)."""
        return [importlib.import_module(module).bp for feature in self.features for module in feature.pages]

    @property
    def texts(self) -> tuple[TextHandler, ...]:
        """Every feature's SMS handler, in the order the SMS channel offers them a text."""
        return tuple(sorted((h for f in self.features for h in f.texts), key=lambda h: h.order))

    @property
    def accepted(self) -> tuple[Callable[[tuple[int, ...]], object], ...]:
        """Every feature's hook on an accept (`Feature.accepted`)."""
        return tuple(hook for f in self.features for hook in f.accepted)

    @property
    def media(self) -> tuple[KeptMedia, ...]:
        """Every feature's reporters' media (`Feature.media`)."""
        return tuple(kept for f in self.features for kept in f.media)

    @property
    def words(self) -> tuple[str, ...]:
        return tuple(word for feature in self.features for word in feature.words)

    @property
    def tables(self) -> frozenset[str]:
        """Every top-level config table some feature reads."""
        return frozenset(t for s in self.sections.values() for t in (s.name, *s.tables))


@functools.cache
def registry() -> Registry:
    """Load every feature once per process and check that the parts fit together."""
    return build(tuple(importlib.import_module(f"{package}.feature").FEATURE for package in PACKAGES))


def build(features: tuple[Feature, ...]) -> Registry:
    sections: dict[str, Section[Any]] = {}
    jobs: dict[Callable[..., Any], JobSpec] = {}
    followups: dict[type[Followup], Callable[[Any], object]] = {}
    commands: dict[str, Command] = {}
    steps: dict[str, CycleStep] = {}
    owner: dict[tuple[str, object], str] = {}

    def claim(kind: str, key: object, feature: Feature) -> None:
        if (kind, key) in owner:
            raise RegistryError(f"{kind} {key!r} is declared by both {owner[kind, key]} and {feature.name}")
        owner[kind, key] = feature.name

    for feature in features:
        for section in feature.sections:
            for table in {section.name, *section.tables}:
                claim("config table", table, feature)
            sections[section.name] = section
        for fn, spec in feature.jobs.items():
            claim("job", f"{fn.__module__}.{fn.__qualname__}", feature)
            jobs[fn] = spec
        for kind, handler in feature.followups.items():
            claim("follow-up", kind.__name__, feature)
            followups[kind] = handler
        for command in feature.commands:
            claim("command", command.name, feature)
            commands[command.name] = command
        for step in feature.cycle:
            claim("cycle step", step.name, feature)
            steps[step.name] = step
    _every_followup_handled(followups)
    cycle = tuple(sorted(steps.values(), key=lambda step: step.order))
    return Registry(features, sections, jobs, followups, cycle, commands)


def _every_followup_handled(followups: Mapping[type[Followup], Callable[[Any], object]]) -> None:
    from hotline.base.jobs import Followup

    def kinds(cls: type[Followup]) -> list[type[Followup]]:
        return [k for sub in cls.__subclasses__() for k in (sub, *kinds(sub))]

    missing = sorted(k.__qualname__ for k in kinds(Followup) if k not in followups)
    if missing:
        raise RegistryError(f"no feature carries out the follow-up(s) {', '.join(missing)}: "
                            "add a handler to the `followups` of the feature that defines them")
