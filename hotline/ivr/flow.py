"""Load an IVR flow (`ivr_flows/<name>.toml`) into plain data and check it against the config.

The engine (`hotline.ivr.flow_engine`) only ever sees these dataclasses; the file is read once.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as dc_field
from pathlib import Path
from typing import Any

from hotline.base.config import Config, ConfigError, ConfigProblem

KINDS = {"menu", "callback", "record", "dial", "closing", "entry", "pin", "incidents", "review"}
ROLE_FLOWS = ("operator", "staff", "admin")
ENTRY_FIELDS = {"type", "severity", "site", "ref"}
OPERATOR_MIN_TIMEOUT = 10
ACTIONS = {"accept", "hear", "next", "repeat", "resolve", "publish", "bridge", "darksite"}
PROTECTED_ACTIONS = {"accept", "hear", "resolve", "publish", "bridge", "darksite"}  # need a PIN first
CALL_ACTIONS = {"bridge"}  # about the person on the call, not the incident in hand (offered with none open)
Problem = Callable[[str, object, str], None]  # bad(key, value, fix): one problem with the flow file
REQUIRED_PROMPTS = ("option", "language_option", "invalid", "no_input", "callback_invalid", "apology",
                    "goodbye", "lifeline_failed")


@dataclass(frozen=True)
class Option:
    key: str
    type: str | None = None
    next: str | None = None
    language: str | None = None
    label: str | None = None
    set: dict[str, str] = dc_field(default_factory=dict)
    action: str | None = None  # done by the webhook: accept, hear, resolve, publish ... (see ACTIONS)
    flow: str | None = None  # continue in another flow (at `next`, or its start)
    hidden: bool = False  # not read out: the operator/admin key
    pin: bool = False  # asks for the PIN first: the node it leads to reads out or acts on incidents


@dataclass(frozen=True)
class Node:
    name: str
    kind: str
    prompts: tuple[str, ...] = ()
    first_prompts: tuple[str, ...] = ()
    options: tuple[Option, ...] = ()
    timeout: int = 5
    retries: int = 2
    next: str | None = None
    on_give_up: Option | None = None
    number: str | None = None
    field: str | None = None  # entry: what is entered (type, severity, site, ref)
    choices: dict[str, str] = dc_field(default_factory=dict)  # entry: code -> value ("types"/"sites" fill it)
    choices_from: str | None = None  # entry: "types" (the main menu's keys) or "sites" (config.toml)
    digits: int = 0  # entry: fixed length, 0 = until #
    purpose: str = "report"  # record: report | update | prompt


@dataclass(frozen=True)
class Flow:
    name: str
    path: Path
    start: str
    nodes: dict[str, Node]
    prompts: dict[str, dict[str, str]]

    @property
    def pin_node(self) -> str | None:
        """Where this flow asks for a PIN: the hidden menu, or the proof before a protected action."""
        return next((n.name for n in self.nodes.values() if n.kind == "pin"), None)

    def text(self, prompt: str, lang: str) -> str:
        texts = self.prompts.get(prompt, {})
        return texts.get(lang) or next(iter(texts.values()), "")


def load_flows(config: Config) -> dict[str, Flow]:
    """The caller's flow plus the role flows (operator, staff, admin) that exist; role flows
    share the main flow's prompts, so common phrases are written once."""
    main = load_flow(config)
    flows = {main.name: main}
    problems: list[ConfigProblem] = []
    for role in ROLE_FLOWS:
        if (config.flows_dir / f"{role}.toml").exists():
            try:
                flows[role] = load_flow(config, role, inherit=main.prompts)
            except ConfigError as exc:
                problems.extend(exc.problems)
    if problems:
        raise ConfigError(problems)
    for node in flows["operator"].nodes.values() if "operator" in flows else ():
        if node.kind in ("menu", "entry") and node.timeout < OPERATOR_MIN_TIMEOUT:
            problems.append(ConfigProblem(str(flows["operator"].path), f"nodes.{node.name}.timeout", node.timeout,
                                          f"operators are on slow radio links: use at least {OPERATOR_MIN_TIMEOUT} s"))
    for flow in flows.values():
        for node in flow.nodes.values():
            for opt in (*node.options, *([node.on_give_up] if node.on_give_up else [])):
                target = flows.get(opt.flow or flow.name)
                if opt.flow and target is None:
                    problems.append(ConfigProblem(str(flow.path), f"nodes.{node.name}.options", opt.flow,
                                                  f"no flow {opt.flow!r}; use one of {', '.join(flows)}"))
                elif opt.flow and target and opt.next and opt.next not in target.nodes:
                    problems.append(ConfigProblem(str(flow.path), f"nodes.{node.name}.options", opt.next,
                                                  f"flow {opt.flow!r} has no node {opt.next!r}"))
    if problems:
        raise ConfigError(problems)
    return flows


def load_flow(config: Config, name: str | None = None, inherit: dict[str, dict[str, str]] | None = None) -> Flow:
    """Read and validate a flow; raise ConfigError listing every problem."""
    name = name or config.flow
    path = config.flows_dir / f"{name}.toml"
    file = str(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError([ConfigProblem(str(config.path), "hotline.flow", name,
                                         f"no file {path}; name a flow that exists in {config.flows_dir}")]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([ConfigProblem(file, "(syntax)", str(exc), "fix the TOML syntax at that line")]) from None
    problems: list[ConfigProblem] = []

    def bad(key: str, value: object, fix: str) -> None:
        problems.append(ConfigProblem(file, key, value, fix))

    prompts: dict[str, dict[str, str]] = dict(inherit or {})
    for pname, texts in (raw.get("prompts") or {}).items():
        if not isinstance(texts, dict):
            bad(f"prompts.{pname}", texts, "give text per language: { \"en-US\" = \"...\" }")
            continue
        prompts[pname] = texts
        for lang in config.languages:
            if not isinstance(texts.get(lang), str):
                bad(f"prompts.{pname}.{lang}", texts.get(lang), f"add the {lang} text of this prompt")
    for pname in REQUIRED_PROMPTS:
        if pname not in prompts:
            bad(f"prompts.{pname}", None, "add this prompt: the engine says it")

    nodes: dict[str, Node] = {}
    for nname, spec in (raw.get("nodes") or {}).items():
        if not isinstance(spec, dict):
            bad(f"nodes.{nname}", spec, "must be a table")
            continue
        node = _node(nname, spec, bad)
        if node:
            nodes[nname] = node
    start = raw.get("start", "")
    if start not in nodes:
        bad("start", start, f"name one of the nodes: {', '.join(sorted(nodes)) or '(none defined)'}")
    for node in nodes.values():
        _check_node(node, nodes, prompts, config, bad)
    if problems:
        raise ConfigError(problems)
    return Flow(name=name, path=path, start=start, nodes=nodes, prompts=prompts)


def _option(spec: object, key: str, bad: Problem) -> Option | None:
    if not isinstance(spec, dict):
        bad(key, spec, "must be an inline table such as { key = \"1\", type = \"other\", next = \"severity\" }")
        return None
    return Option(
        key=str(spec.get("key", "")), type=spec.get("type"), next=spec.get("next"),
        language=spec.get("language"), label=spec.get("label"), set=dict(spec.get("set") or {}),
        action=spec.get("action"), flow=spec.get("flow"), hidden=bool(spec.get("hidden", False)),
        pin=bool(spec.get("pin", False)),
    )


def _node(name: str, spec: dict[str, Any], bad: Problem) -> Node | None:
    kind = spec.get("kind")
    if kind not in KINDS:
        bad(f"nodes.{name}.kind", kind, f"use one of: {', '.join(sorted(KINDS))}")
        return None
    options = tuple(o for i, s in enumerate(spec.get("options") or [])
                    if (o := _option(s, f"nodes.{name}.options[{i}]", bad)))
    give_up = _option(spec["on_give_up"], f"nodes.{name}.on_give_up", bad) if "on_give_up" in spec else None
    timeout, retries = spec.get("timeout", 5), spec.get("retries", 2)
    if not isinstance(timeout, int) or not 1 <= timeout <= 60:
        bad(f"nodes.{name}.timeout", timeout, "use whole seconds between 1 and 60")
        timeout = 5
    if not isinstance(retries, int) or not 0 <= retries <= 10:
        bad(f"nodes.{name}.retries", retries, "use a whole number between 0 and 10")
        retries = 2
    choices = spec.get("choices") or {}
    choices_from = choices if isinstance(choices, str) else None
    if choices_from not in (None, "types", "sites"):
        bad(f"nodes.{name}.choices", choices, "use \"types\", \"sites\" or a table of code = value")
    if kind == "entry" and spec.get("field") not in ENTRY_FIELDS:
        bad(f"nodes.{name}.field", spec.get("field"), f"use one of: {', '.join(sorted(ENTRY_FIELDS))}")
    return Node(
        name=name, kind=kind, prompts=tuple(spec.get("prompts") or ()),
        first_prompts=tuple(spec.get("first_prompts") or ()), options=options, timeout=timeout,
        retries=retries, next=spec.get("next"), on_give_up=give_up, number=spec.get("number"),
        field=spec.get("field"), choices=dict(choices) if isinstance(choices, dict) else {},
        choices_from=choices_from, digits=int(spec.get("digits", 0)), purpose=spec.get("purpose", "report"),
    )


def _check_node(node: Node, nodes: dict[str, Node], prompts: dict[str, dict[str, str]], config: Config,
                bad: Problem) -> None:
    where = f"nodes.{node.name}"
    for p in node.prompts + node.first_prompts:
        if p not in prompts:
            bad(f"{where}.prompts", p, "add it under [prompts] or remove it from the node")
    targets = [(f"{where}.next", node.next)]
    seen: dict[str, Option] = {}
    for i, opt in enumerate(node.options):
        key = f"{where}.options[{i}]"
        if len(opt.key) != 1 or opt.key not in "0123456789*":
            bad(f"{key}.key", opt.key, "use a single keypad key 0-9 or *")
        if opt.key in seen and not (opt.language and seen[opt.key].language):
            bad(f"{key}.key", opt.key, f"key {opt.key} is already used in this menu; pick another")
        seen.setdefault(opt.key, opt)
        if opt.type and opt.type not in config.incident_types:
            bad(f"{key}.type", opt.type, f"use a type from config.toml: {', '.join(config.incident_types)}")
        if opt.language and opt.language not in config.languages:
            bad(f"{key}.language", opt.language, f"use a language from hotline.languages: {config.languages}")
        if opt.label and opt.label not in prompts:
            bad(f"{key}.label", opt.label, "add this prompt under [prompts]")
        if not (opt.type or opt.label or opt.language or opt.hidden):
            bad(key, opt.key, "give the option a `type`, a `label` prompt or a `language`")
        if not (opt.next or opt.language or opt.action or opt.flow):
            bad(f"{key}.next", None, "say which node comes next")
        if opt.action and opt.action not in ACTIONS:
            bad(f"{key}.action", opt.action, f"use one of: {', '.join(sorted(ACTIONS))}")
        if not opt.flow:
            targets.append((f"{key}.next", opt.next))
    if node.on_give_up and not node.on_give_up.flow:
        targets.append((f"{where}.on_give_up.next", node.on_give_up.next))
        if node.on_give_up.type and node.on_give_up.type not in (*config.incident_types, "unclassified"):
            bad(f"{where}.on_give_up.type", node.on_give_up.type, "use a configured type or \"unclassified\"")
    if node.kind in ("menu", "entry", "pin", "incidents", "review") and not node.on_give_up:
        bad(f"{where}.on_give_up", None, "say where a caller who presses nothing goes: never drop them")
    if node.kind in ("callback", "record", "dial", "entry", "pin") and not node.next:
        bad(f"{where}.next", None, "say which node comes next")
    if node.kind == "dial" and node.number != "lifeline":
        bad(f"{where}.number", node.number, "use \"lifeline\" (the number comes from hotline.lifeline_number)")
    for key, target in targets:
        if target is not None and target not in nodes:
            bad(key, target, f"name one of the nodes: {', '.join(sorted(nodes))}")
