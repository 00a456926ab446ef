"""The rules of a report by text, as plain functions over plain data: which language a text is
in, whether it answers the types menu, and the menu itself (the caller IVR's first menu)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import timedelta

# A text within this long of the sender's last one joins the same report (while it is open).
WINDOW = timedelta(hours=2)
# The menu's wait: a report nobody classifies is paged as "unclassified" after this (first law:
# the text is already an incident; only its type waits).
MENU_WAIT_SECONDS = 60
HELP_WORDS = frozenset({"HELP", "INFO", "幫助", "說明"})
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_DIGIT = re.compile(r"^\s*([0-9])\s*[.)]?\s*$")


def language_of(body: str, languages: tuple[str, ...]) -> str:
    """zh-TW for a text with Chinese characters (when the hotline speaks it), else en-US when it
    does, else the hotline's first language."""
    if _CJK.search(body) and "zh-TW" in languages:
        return "zh-TW"
    return "en-US" if "en-US" in languages else languages[0]


def menu_choice(body: str, codes: Mapping[str, str]) -> str | None:
    """The type a text picks from the menu: one digit that the menu offers."""
    m = _DIGIT.match(body)
    return codes.get(m.group(1)) if m else None


def menu(codes: Mapping[str, str], name: Callable[[str], str], lang: str) -> str:
    sep = "，" if lang == "zh-TW" else ", "
    eq = "＝" if lang == "zh-TW" else " = "
    return sep.join(f"{digit}{eq}{name(type_key)}" for digit, type_key in sorted(codes.items()))
