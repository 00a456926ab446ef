"""The flow engine: pure functions from (flow, where the caller is, what they pressed) to what
they hear next. No I/O: the webhooks apply the effects and render the TwiML.

A caller's place travels in the action URL (`CallState.query`), which Twilio signs, so a
webhook needs no lookup to know where the caller is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Literal

from hotline.base.phone import spoken_digits, to_e164
from hotline.ivr.flow import CALL_ACTIONS, PROTECTED_ACTIONS, Flow, Node, Option

INCIDENT_FIELDS = {"severity", "callback_number", "site"}


@dataclass(frozen=True)
class CallState:
    node: str
    lang: str
    tries: int = 0
    incident: int | None = None
    fresh: bool = True
    flow: str = "default"
    value: str | None = None  # entry: the code awaiting confirmation; incidents: the index
    data: tuple[tuple[str, str], ...] = ()  # small per-call facts (operator id, prompt being recorded)

    def get(self, key: str) -> str | None:
        return dict(self.data).get(key)

    def with_data(self, **values: str) -> CallState:
        return replace(self, data=tuple(sorted({**dict(self.data), **values}.items())))

    def without(self, *keys: str) -> CallState:
        return replace(self, data=tuple((k, v) for k, v in self.data if k not in keys))

    def query(self) -> dict[str, str]:
        q = {"w": self.flow, "n": self.node, "l": self.lang, "t": str(self.tries), "f": "1" if self.fresh else "0"}
        if self.incident is not None:
            q["i"] = str(self.incident)
        if self.value is not None:
            q["v"] = self.value
        if self.data:
            q["x"] = ";".join(f"{k}={v}" for k, v in self.data)
        return q

    @classmethod
    def from_query(cls, args: dict[str, str], flows: dict[str, Flow], default_flow: str,
                   default_lang: str) -> CallState:
        flow = flows.get(args.get("w", ""), flows[default_flow])
        node = args.get("n") if args.get("n") in flow.nodes else flow.start
        inc, tries = args.get("i", ""), args.get("t", "0")
        pairs = (p.split("=", 1) for p in args.get("x", "").split(";") if "=" in p)
        data = tuple(sorted((key, value) for key, value in pairs))
        return cls(node=node or flow.start, lang=args.get("l") or default_lang,
                   tries=int(tries) if tries.isdigit() else 0, incident=int(inc) if inc.isdigit() else None,
                   fresh=args.get("f", "1") == "1", flow=flow.name, value=args.get("v"),
                   data=data)


@dataclass(frozen=True)
class Utterance:
    """One thing the caller hears: a named prompt (recordable), composed text, or an audio URL."""

    text: str
    lang: str
    prompt: str | None = None
    audio: str | None = None


@dataclass(frozen=True)
class IncidentBrief:
    id: int
    ref: str
    type_name: str
    status: str


@dataclass(frozen=True)
class Context:
    """What the engine needs to know about the world, gathered by the webhook."""

    org: str
    type_names: dict[str, str]  # type key -> name in the caller's language
    caller_known: bool = True
    ref: str | None = None
    lifeline: str | None = None
    record_max: int = 180
    region: str = "TW"
    type_codes: dict[str, str] = field(default_factory=dict)  # the main menu's key -> type key
    sites: dict[str, str] = field(default_factory=dict)  # site code -> name
    open_incidents: tuple[IncidentBrief, ...] = ()  # the newest few, read out one at a time
    open_count: int = 0  # how many are open in all (said as the count; more than are read out)
    find_incident: Callable[[str], IncidentBrief | None] = lambda ref: None
    review_audio: str | None = None


@dataclass(frozen=True)
class Screen:
    kind: Literal["gather", "record", "dial", "hangup"]
    says: tuple[Utterance, ...]
    state: CallState
    num_digits: int | None = None
    timeout: int = 5
    max_length: int = 180
    dial_number: str | None = None
    purpose: str = "report"  # record: what the recording is for (report, update, prompt)
    secret: bool = False  # gather: a PIN; never echoed (the sim masks it in its logs)


@dataclass(frozen=True)
class Outcome:
    state: CallState
    notice: tuple[Utterance, ...] = ()
    classify: str | None = None
    fields: dict[str, str] = field(default_factory=dict)
    action: str | None = None  # for the webhook: accept, hear, resolve, publish
    pin: str | None = None  # digits to check; never logged, never read back


STATIC_PLACEHOLDERS = {"org"}


def say(flow: Flow, prompt: str, lang: str, **values: str) -> Utterance:
    """A prompt whose text varies per call (a reference, a key) can't be replaced by a recording."""
    recordable = set(values) <= STATIC_PLACEHOLDERS
    return Utterance(flow.text(prompt, lang).format(**values), lang, prompt if recordable else None)


def screen(flow: Flow, state: CallState, ctx: Context) -> Screen:
    """What the caller hears on arriving at `state.node`, and where their answer goes."""
    node = flow.nodes[state.node]
    fmt = {"org": ctx.org, "ref": spoken_digits(ctx.ref or ""), "number": ctx.lifeline or ""}
    intro = node.first_prompts if state.fresh and state.tries == 0 else ()
    says = tuple(say(flow, p, state.lang, **_used(flow.text(p, state.lang), fmt)) for p in intro + node.prompts)
    if node.kind in ("menu", "review"):
        review = node.kind == "review" and ctx.review_audio
        audio = (Utterance("", state.lang, audio=ctx.review_audio),) if review else ()
        lines = tuple(_option_line(flow, o, state.lang, ctx) for o in visible_options(node, state.lang))
        return Screen("gather", says + audio + lines, state, num_digits=1, timeout=node.timeout)
    if node.kind == "entry":
        return _entry_screen(flow, node, state, ctx, says)
    if node.kind == "pin":
        return Screen("gather", says, state, timeout=node.timeout, secret=True)
    if node.kind == "incidents":
        return _incidents_screen(flow, node, state, ctx, says)
    if node.kind == "callback":
        if ctx.caller_known:
            return screen(flow, _goto(state, node.next or flow.start), ctx)
        return Screen("gather", says, state, timeout=node.timeout)
    if node.kind == "record":
        done = _goto(state, node.next or flow.start)
        return Screen("record", says, done, timeout=node.timeout, max_length=ctx.record_max, purpose=node.purpose)
    if node.kind == "dial":
        return Screen("dial", says, state, timeout=node.timeout, dial_number=ctx.lifeline)
    return Screen("hangup", says, state)


def visible_options(node: Node, lang: str) -> list[Option]:
    """Language options offer only a language other than the current one, once per key."""
    out: list[Option] = []
    keys: set[str] = set()
    for o in node.options:
        if (o.language and o.language == lang) or o.key in keys:
            continue
        keys.add(o.key)
        out.append(o)
    return out


def press(flow: Flow, state: CallState, digits: str, ctx: Context) -> Outcome:
    """Decide what a keypress (or silence, `digits == ""`) means at the caller's node."""
    node = flow.nodes[state.node]
    if node.kind in ("menu", "review", "incidents"):
        chosen = next((o for o in visible_options(node, state.lang) if o.key == digits), None)
        if chosen is None:
            return _retry(flow, node, state, "no_input" if not digits else "invalid")
        if chosen.language:
            return Outcome(replace(state, lang=chosen.language, tries=0, fresh=False))
        if needs_pin(flow, chosen) and not state.get(AUTH) and (node.kind != "incidents" or ctx.open_incidents
                                                                  or chosen.action in CALL_ACTIONS):
            return _ask_pin(flow, state, digits)
        if node.kind == "incidents":
            return _incident_choice(node, state, chosen, ctx)
        return _take(chosen, state)
    if node.kind == "entry":
        return _entry_press(flow, node, state, digits, ctx)
    if node.kind == "pin":
        if not digits:
            return _retry(flow, node, state, "no_input")
        return Outcome(replace(state, fresh=False), pin=digits)
    if node.kind == "callback":
        number = to_e164(digits, ctx.region) if digits else None
        if number:
            return Outcome(_goto(state, node.next or flow.start), fields={"callback_number": number})
        return _retry(flow, node, state, "callback_invalid" if digits else "no_input")
    return Outcome(_goto(state, node.next or flow.start))


AUTH = "auth"  # call data: the role whose PIN (or verified caller ID) this call has proved
RESUME = "resume"  # call data: "node.key" the caller chose before being asked for the PIN


def needs_pin(flow: Flow, option: Option) -> bool:
    """Caller ID only chooses the menu: acting on an incident or a prompt needs proof of identity.
    That is an option whose action changes or reveals something, one marked `pin` (it leads to
    nodes that read out or look up incidents, or file reports under the operator's name), or one
    that leads to recording an update onto an existing incident."""
    if option.action in PROTECTED_ACTIONS or option.pin:
        return True
    target = flow.nodes.get(option.next or "") if not option.flow else None
    return bool(target and target.kind == "record" and target.purpose == "update")


def _ask_pin(flow: Flow, state: CallState, key: str) -> Outcome:
    """Divert to the flow's PIN node, remembering the choice, which runs once the PIN is right."""
    pin = flow.pin_node
    if pin is None:  # nowhere to prove it: refuse rather than act on caller ID alone
        return Outcome(replace(state, fresh=False), (say(flow, "pin_refused", state.lang),))
    return Outcome(replace(state, node=pin, tries=0, fresh=True).with_data(**{RESUME: f"{state.node}.{key}"}))


def verifies_for(state: CallState, role_flow: str) -> bool:
    """A PIN asked for by `_ask_pin` must be this flow's own (or an admin's); the hidden menu's
    PIN in the caller's flow may open any role."""
    return not state.get(RESUME) or role_flow in (state.flow, "admin")


def resume_point(state: CallState) -> tuple[CallState, str]:
    """After the right PIN: the node and key the caller had chosen, now with the proof in hand."""
    node, _, key = (state.get(RESUME) or "").rpartition(".")
    return replace(state, node=node, tries=0, fresh=False).without(RESUME), key


def after_pin(flow: Flow, state: CallState, role_flow: str | None, locked: bool) -> Outcome:
    """A PIN opened `role_flow`, or it did not: retry, and after the node's retries (or a
    throttle's delay) go back to the emergency menu, which always works."""
    node = flow.nodes[state.node]
    if role_flow and not locked:
        return Outcome(CallState("", state.lang, flow=role_flow, data=state.data))
    if not locked and state.tries < node.retries:
        return Outcome(replace(state, tries=state.tries + 1, fresh=False), (say(flow, "pin_wrong", state.lang),))
    notice = (say(flow, "pin_refused", state.lang),)
    state = state.without(RESUME)
    give_up = node.on_give_up
    if give_up is None:
        return Outcome(CallState(flow.start, state.lang, flow=flow.name, fresh=False), notice)
    return replace(_take(give_up, state), notice=notice)


def dial_finished(flow: Flow, state: CallState, dial_status: str) -> Outcome:
    """After a forward: a completed conversation ends the call; anything else goes on."""
    node = flow.nodes[state.node]
    if dial_status == "completed" or not node.next:
        return Outcome(CallState(state.node, state.lang, incident=state.incident, fresh=False, flow=state.flow),
                       notice=(say(flow, "goodbye", state.lang),), fields={"hangup": "1"})
    return Outcome(replace(_goto(state, node.next), fresh=False), notice=(say(flow, "lifeline_failed", state.lang),))


def _goto(state: CallState, node: str) -> CallState:
    return CallState(node, state.lang, incident=state.incident, flow=state.flow, data=state.data)


def _retry(flow: Flow, node: Node, state: CallState, notice: str) -> Outcome:
    if state.tries < node.retries:
        return Outcome(replace(state, tries=state.tries + 1, fresh=False), (say(flow, notice, state.lang),))
    if node.on_give_up:
        return _take(node.on_give_up, state)
    return Outcome(_goto(state, node.next or flow.start))


def _take(option: Option, state: CallState) -> Outcome:
    data = {k: v for k, v in option.set.items() if k not in INCIDENT_FIELDS}
    fields = {k: v for k, v in option.set.items() if k in INCIDENT_FIELDS}
    if option.flow:
        target = CallState(option.next or "", state.lang, flow=option.flow, fresh=False, data=state.data)
    elif option.next:
        target = _goto(state, option.next)
    else:
        target = replace(state, tries=0, fresh=False, value=None)
    if data:
        target = target.with_data(**data)
    return Outcome(target, classify=option.type, fields=fields, action=option.action)


def _entry_screen(flow: Flow, node: Node, state: CallState, ctx: Context, says: tuple[Utterance, ...]) -> Screen:
    choices = entry_choices(node, ctx)
    if state.value is not None:
        label = _entry_label(node, state.value, ctx, flow, state.lang)
        confirm = say(flow, "entry_confirm", state.lang, value=" ".join(state.value), label=label)
        return Screen("gather", (confirm,), state, num_digits=1, timeout=node.timeout)
    lines: tuple[Utterance, ...] = ()
    if choices and len(choices) <= 9:
        lines = tuple(say(flow, "option", state.lang, label=_entry_label(node, code, ctx, flow, state.lang), key=code)
                      for code in choices)
    return Screen("gather", says + lines, state, num_digits=node.digits or None, timeout=node.timeout)


def entry_choices(node: Node, ctx: Context) -> dict[str, str]:
    if node.choices_from == "types":
        return ctx.type_codes
    if node.choices_from == "sites":
        return ctx.sites
    return node.choices


def _entry_label(node: Node, code: str, ctx: Context, flow: Flow, lang: str) -> str:
    value = entry_choices(node, ctx).get(code, code)
    if node.field == "type":
        return ctx.type_names.get(value, value)
    if node.field == "site":
        return value
    if node.field == "ref":
        brief = ctx.find_incident(code)
        return f"{brief.type_name}, {flow.text('status_' + brief.status, lang)}" if brief else ""
    return flow.text(f"{node.field}_{value}", lang) or value


def _entry_press(flow: Flow, node: Node, state: CallState, digits: str, ctx: Context) -> Outcome:
    if state.value is None:
        digits = digits.rstrip("#")
        if not digits:
            return _retry(flow, node, state, "no_input")
        valid = ctx.find_incident(digits) is not None if node.field == "ref" else digits in entry_choices(node, ctx)
        if not valid:
            return _retry(flow, node, state, "entry_unknown")
        return Outcome(replace(state, value=digits, tries=0, fresh=False))
    if digits == "2":
        return Outcome(replace(state, value=None, tries=0, fresh=False))
    if digits != "1":
        return _retry(flow, node, replace(state, fresh=False), "no_input" if not digits else "invalid")
    target = _goto(state, node.next or flow.start)
    value = entry_choices(node, ctx).get(state.value, state.value)
    if node.field == "type":
        return Outcome(target, classify=value)
    if node.field == "ref":
        brief = ctx.find_incident(state.value)
        return Outcome(replace(target, incident=brief.id if brief else None))
    if node.field == "site":
        return Outcome(target, fields={"site": state.value})  # the code: names may be renamed
    return Outcome(target, fields={node.field or "value": value})


def _incidents_screen(flow: Flow, node: Node, state: CallState, ctx: Context,
                      says: tuple[Utterance, ...]) -> Screen:
    options = visible_options(node, state.lang)
    if not ctx.open_incidents:
        lines = tuple(_option_line(flow, o, state.lang, ctx) for o in options
                      if not o.action or o.action in CALL_ACTIONS)
        return Screen("gather", says + (say(flow, "no_open_incidents", state.lang),) + lines, state, num_digits=1,
                      timeout=node.timeout)
    index = int(state.value or 0) % len(ctx.open_incidents)
    brief = ctx.open_incidents[index]
    header = say(flow, "incident_brief", state.lang, ref=spoken_digits(brief.ref), type=brief.type_name,
                 status=flow.text("status_" + brief.status, state.lang),
                 count=str(max(ctx.open_count, len(ctx.open_incidents))))
    lines = tuple(_option_line(flow, o, state.lang, ctx) for o in options)
    return Screen("gather", says + (header,) + lines, replace(state, value=str(index)), num_digits=1,
                  timeout=node.timeout)


def _incident_choice(node: Node, state: CallState, chosen: Option, ctx: Context) -> Outcome:
    if chosen.flow or chosen.next:
        return _take(chosen, state)
    if chosen.action in CALL_ACTIONS:
        return Outcome(replace(state, fresh=False, tries=0), action=chosen.action)
    if not ctx.open_incidents:
        return Outcome(replace(state, fresh=False))
    index = int(state.value or 0) % len(ctx.open_incidents)
    here = replace(state, fresh=False, tries=0)
    if chosen.action == "next":
        return Outcome(replace(here, value=str(index + 1)))
    if chosen.action == "repeat":
        return Outcome(here)
    return Outcome(replace(here, incident=ctx.open_incidents[index].id), action=chosen.action)


def _option_line(flow: Flow, o: Option, lang: str, ctx: Context) -> Utterance:
    if o.language:
        return say(flow, "language_option", o.language, key=o.key)
    if o.hidden:
        return Utterance("", lang)
    label = ctx.type_names.get(o.type, o.type) if o.type else flow.text(o.label or "", lang)
    return say(flow, "option", lang, label=label, key=o.key)


def _used(template: str, values: dict[str, str]) -> dict[str, str]:
    """Only the placeholders a text uses, so a plain prompt stays a named (recordable) prompt."""
    return {k: v for k, v in values.items() if "{" + k + "}" in template}
