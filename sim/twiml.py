"""Parse TwiML into a small verb tree, reporting Twilio's error codes for bad documents.

12100 document parse failure, 12102 root element is not <Response>, 12200 schema
validation (unknown verb or noun, wrong nesting). Which verbs are *known* is decided by the
executor's handler registry, so adding a verb there makes it valid here.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field

ERR_PARSE = 12100
ERR_ROOT = 12102
ERR_SCHEMA = 12200

GATHER_NESTABLE = frozenset({"Say", "Play", "Pause"})
DIAL_NOUNS = frozenset({"Number", "Client", "Sip", "Conference", "Queue", "Sim", "Application"})


class TwimlError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Verb:
    name: str
    attrs: dict[str, str]
    text: str
    children: list[Verb] = field(default_factory=list)

    def attr(self, name: str, default: str | None = None) -> str | None:
        value = self.attrs.get(name)
        return default if value is None or value == "" else value

    def int_attr(self, name: str, default: int) -> int:
        value = self.attrs.get(name)
        try:
            return int(float(value)) if value not in (None, "") else default
        except ValueError:
            return default

    def bool_attr(self, name: str, default: bool) -> bool:
        value = self.attrs.get(name)
        if value in (None, ""):
            return default
        return value.strip().lower() == "true"


def parse(body: bytes | str, known_verbs: Iterable[str]) -> list[Verb]:
    """Parse a TwiML document into its top-level verbs, or raise TwimlError."""
    known = frozenset(known_verbs)
    try:
        root = ET.fromstring(body if isinstance(body, (bytes, str)) else bytes(body))
    except ET.ParseError as exc:
        raise TwimlError(ERR_PARSE, f"Document parse failure: {exc}") from exc
    if root.tag != "Response":
        raise TwimlError(ERR_ROOT, f"The root element must be Response, got <{root.tag}>")
    verbs = []
    for elem in root:
        if elem.tag not in known:
            raise TwimlError(ERR_SCHEMA, f"Schema validation warning: unknown verb <{elem.tag}>")
        verbs.append(_verb(elem))
    for verb in verbs:
        _check_nesting(verb)
    return verbs


def _verb(elem: ET.Element) -> Verb:
    if elem.tag == "Say":  # SSML children (<break>, <prosody>...) only contribute text
        return Verb(elem.tag, dict(elem.attrib), " ".join("".join(elem.itertext()).split()))
    text = (elem.text or "").strip()
    return Verb(elem.tag, dict(elem.attrib), text, [_verb(child) for child in elem])


def _check_nesting(verb: Verb) -> None:
    if verb.name == "Gather":
        bad = [c.name for c in verb.children if c.name not in GATHER_NESTABLE]
    elif verb.name == "Dial":
        bad = [c.name for c in verb.children if c.name not in DIAL_NOUNS]
    else:
        bad = [c.name for c in verb.children]
    if bad:
        raise TwimlError(
            ERR_SCHEMA, f"Schema validation warning: <{bad[0]}> is not allowed inside <{verb.name}>"
        )
