"""The reminder an action item's owner gets (SMS, and email with its subject), in their language."""

from __future__ import annotations

from collections.abc import Sequence

from hotline.base.languages import pick_language

TEXTS: dict[str, dict[str, str]] = {
    "zh-TW": {"due": "{org}：事後檢討 {ref} 的待辦事項已到期（{due}）：{text}。完成後請在主控台標記為完成。",
              "subject": "{org}：事後檢討 {ref} 的待辦事項已到期（{due}）"},
    "en-US": {"due": "{org}: an action item of the review of {ref} is due ({due}): {text}. "
                     "Mark it done in the console when it is.",
              "subject": "{org}: an action item of the review of {ref} is due ({due})"},
}


def due_text(preferred: Sequence[str], hotline: Sequence[str], **values: object) -> str:
    lang = pick_language(preferred, hotline, TEXTS, "en-US")
    return TEXTS[lang]["due"].format(**values)


def due_subject(preferred: Sequence[str], hotline: Sequence[str], **values: object) -> str:
    lang = pick_language(preferred, hotline, TEXTS, "en-US")
    return TEXTS[lang]["subject"].format(**values)
