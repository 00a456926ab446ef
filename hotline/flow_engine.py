"""The flow engine: pure functions from (flow, where the caller is, what they pressed) to what
they hear next. No I/O: the webhooks apply the effects and render the TwiML.

A caller's place travels in the action URL (`CallState.query`), which Twilio signs, so a
webhook needs no lookup to know where the caller is.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from hotline.flow import Flow, Node, Option
from hotline.phone import spoken_digits, to_e164


@dataclass(frozen=True)
class CallState:
    node: str
    lang: str
    tries: int = 0
    incident: int | None = None
    fresh: bool = True

    def query(self) -> dict[str, str]:
        q = {"n": self.node, "l": self.lang, "t": str(self.tries), "f": "1" if self.fresh else "0"}
        if self.incident is not None:
            q["i"] = str(self.incident)
        return q

    @classmethod
    def from_query(cls, args: dict[str, str], flow: Flow, default_lang: str) -> CallState:
        node = args.get("n") if args.get("n") in flow.nodes else flow.start
        inc = args.get("i", "")
        tries = args.get("t", "0")
        return cls(node=node or flow.start, lang=args.get("l") or default_lang,
                   tries=int(tries) if tries.isdigit() else 0,
                   incident=int(inc) if inc.isdigit() else None, fresh=args.get("f", "1") == "1")


@dataclass(frozen=True)
class Utterance:
    """One thing the caller hears: a named prompt (recordable) or composed text, in a language."""

    text: str
    lang: str
    prompt: str | None = None


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


@dataclass(frozen=True)
class Screen:
    kind: Literal["gather", "record", "dial", "hangup"]
    says: tuple[Utterance, ...]
    state: CallState
    num_digits: int | None = None
    timeout: int = 5
    max_length: int = 180
    dial_number: str | None = None


@dataclass(frozen=True)
class Outcome:
    state: CallState
    notice: tuple[Utterance, ...] = ()
    classify: str | None = None
    fields: dict[str, str] = field(default_factory=dict)


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
    if node.kind == "menu":
        lines = tuple(_option_line(flow, o, state.lang, ctx) for o in visible_options(node, state.lang))
        return Screen("gather", says + lines, state, num_digits=1, timeout=node.timeout)
    if node.kind == "callback":
        if ctx.caller_known:
            return screen(flow, CallState(node.next or flow.start, state.lang, incident=state.incident), ctx)
        return Screen("gather", says, state, timeout=node.timeout)
    if node.kind == "record":
        done = CallState(node.next or flow.start, state.lang, incident=state.incident)
        return Screen("record", says, done, timeout=node.timeout, max_length=ctx.record_max)
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
    if node.kind == "menu":
        chosen = next((o for o in visible_options(node, state.lang) if o.key == digits), None)
        if chosen is None:
            return _retry(flow, node, state, "no_input" if not digits else "invalid")
        if chosen.language:
            return Outcome(replace(state, lang=chosen.language, tries=0, fresh=False))
        return _take(flow, chosen, state)
    if node.kind == "callback":
        number = to_e164(digits, ctx.region) if digits else None
        if number:
            return Outcome(CallState(node.next or flow.start, state.lang, incident=state.incident),
                           fields={"callback_number": number})
        return _retry(flow, node, state, "callback_invalid" if digits else "no_input")
    return Outcome(CallState(node.next or flow.start, state.lang, incident=state.incident))


def dial_finished(flow: Flow, state: CallState, dial_status: str) -> Outcome:
    """After a forward: a completed conversation ends the call; anything else goes on."""
    node = flow.nodes[state.node]
    if dial_status == "completed" or not node.next:
        return Outcome(CallState(state.node, state.lang, incident=state.incident, fresh=False),
                       notice=(say(flow, "goodbye", state.lang),), fields={"hangup": "1"})
    return Outcome(CallState(node.next, state.lang, incident=state.incident, fresh=False),
                   notice=(say(flow, "lifeline_failed", state.lang),))


def _retry(flow: Flow, node: Node, state: CallState, notice: str) -> Outcome:
    if state.tries < node.retries:
        return Outcome(replace(state, tries=state.tries + 1, fresh=False), (say(flow, notice, state.lang),))
    if node.on_give_up:
        return _take(flow, node.on_give_up, state)
    return Outcome(CallState(node.next or flow.start, state.lang, incident=state.incident))


def _take(flow: Flow, option: Option, state: CallState) -> Outcome:
    target = CallState(option.next or state.node, state.lang, incident=state.incident)
    return Outcome(target, classify=option.type, fields=dict(option.set))


def _option_line(flow: Flow, o: Option, lang: str, ctx: Context) -> Utterance:
    if o.language:
        return say(flow, "language_option", o.language, key=o.key)
    if o.type:
        label = ctx.type_names.get(o.type, o.type)
    else:
        label = flow.text(o.label or "", lang)
    return say(flow, "option", lang, label=label, key=o.key)


def _used(template: str, values: dict[str, str]) -> dict[str, str]:
    """Only the placeholders a text uses, so a plain prompt stays a named (recordable) prompt."""
    return {k: v for k, v in values.items() if "{" + k + "}" in template}
