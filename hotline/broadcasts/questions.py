"""The questions a broadcast can ask, with numbered answers, and how a reply is read.

Written once, as data: the SMS line, the voice menu, the email and push buttons and the reader of
replies are all built from the same table, so "2" means "I need help" everywhere. A reply is read
by its number first ("2", "2 help"), then by an answer's words in any language ("safe", "平安");
anything else is not an answer (the text goes on to whoever else reads texts: a report by SMS).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Answer:
    key: str  # the digit a person replies or presses
    label: dict[str, str]  # per language
    words: tuple[str, ...]  # replies that mean this answer, lower case, any language
    needs_help: bool = False  # this answer opens an incident that is paged


@dataclass(frozen=True)
class Question:
    key: str
    prompt: dict[str, str]  # per language
    answers: tuple[Answer, ...]

    def answer(self, key: str | None) -> Answer | None:
        return next((a for a in self.answers if a.key == key), None)

    def label(self, key: str | None, lang: str) -> str:
        found = self.answer(key)
        return (found.label.get(lang) or next(iter(found.label.values()))) if found else ""


SAFETY = Question(
    "safety",
    {"zh-TW": "您平安嗎？", "en-US": "Are you safe?"},
    (Answer("1", {"zh-TW": "我平安", "en-US": "I am safe"},
            ("safe", "i am safe", "ok", "yes", "平安", "我平安", "安全")),
     Answer("2", {"zh-TW": "我需要協助", "en-US": "I need help"},
            ("help", "need help", "i need help", "sos", "需要協助", "我需要協助", "救命", "協助"), needs_help=True)),
)
QUESTIONS = {SAFETY.key: SAFETY}
_LEAD = re.compile(r"^\s*(\d)\b")


def read_reply(question: Question, text: str) -> Answer | None:
    """"1", " 2 help", "Safe", "平安" -> that answer; anything else -> None."""
    m = _LEAD.match(text)
    if m:
        return question.answer(m.group(1))
    said = " ".join(text.strip().lower().strip(".!?。！").split())
    return next((a for a in question.answers if said in a.words), None)
