"""What the responder hears, as plain text: pure functions of the reports and their language, no I/O.

Spoken by text-to-speech, so numbers are written digit by digit and times as HH:MM in the
organisation's time zone (the responder lives there, not in UTC). The sentences themselves
live in `hotline.paging.callout.phrases`, one table per language.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from hotline.base.phone import spoken_digits
from hotline.paging.callout.phrases import CONNECT_KEYS, MENU_KEYS, TEXTS, Key, menu_text, text


@dataclass(frozen=True)
class Report:
    ref: str
    type_name: str  # already in the responder's language
    severity: str
    at: datetime
    caller: str | None
    transcript: str | None = None
    source: str | None = None  # set for a report from the events API: the monitoring source, said instead of a caller


def clock(at: datetime, timezone: str) -> str:
    return at.astimezone(ZoneInfo(timezone)).strftime("%H:%M")


def caller_words(number: str | None, lang: str) -> str:
    return text(lang, "caller_number", digits=spoken_digits(number)) if number else text(lang, "caller_withheld")


def severity_words(severity: str, lang: str) -> str:
    """A severity the sentences do not know is read as stored rather than hidden."""
    key = f"severity_{severity}"
    return text(lang, key) if key in TEXTS[lang] else severity


def intro(org: str, reports: Sequence[Report], timezone: str, lang: str) -> list[str]:
    """The opening lines: who is calling, what came in, and the transcript if there is one."""
    first = reports[0]
    if len(reports) == 1:
        origin = text(lang, "event_source", source=first.source) if first.source else caller_words(first.caller, lang)
        lines = [text(lang, "intro", org=org, type=first.type_name, severity=severity_words(first.severity, lang),
                      time=clock(first.at, timezone), caller=origin)]
        if first.transcript:
            said = (text(lang, "event_said", summary=first.transcript) if first.source
                    else text(lang, "caller_said", transcript=first.transcript))
            lines.append(said)
        return lines
    danger = sum(1 for r in reports if r.severity == "danger")
    lines = [text(lang, "intro_storm", org=org, count=len(reports), type=first.type_name,
                  first=clock(first.at, timezone), latest=clock(reports[-1].at, timezone))]
    if danger:
        lines.append(text(lang, "storm_danger", count=danger))
    transcribed = next((r for r in reports if r.transcript), None)
    if transcribed:
        lines.append(text(lang, "report_said", ref=spoken_digits(transcribed.ref), transcript=transcribed.transcript))
    return lines


def menu(report_count: int, lang: str, details: bool = False) -> str:
    """The menu; the details key only when a report came with an event's details."""
    keys = {d: a for d, a in MENU_KEYS.items() if details or a != Key.DETAILS}
    return menu_text(lang, keys, "storm_menu" if report_count > 1 else "menu")


def connect_menu(lang: str) -> str:
    return menu_text(lang, CONNECT_KEYS, "connect_menu")


def machine_message(org: str, type_name: str, hotline: str, lang: str) -> str:
    return text(lang, "machine", org=org, type=type_name, hotline=spoken_digits(hotline))


def accepted(name: str, reports: Sequence[Report], callback: str | None, lang: str) -> list[str]:
    if len(reports) > 1:
        lines = [text(lang, "accepted_all", name=name, count=len(reports))]
    else:
        lines = [text(lang, "accepted_one", name=name, ref=spoken_digits(reports[0].ref))]
    if callback:
        lines.append(text(lang, "callback", number=spoken_digits(callback)))
    else:
        lines.append(text(lang, "no_callback"))
    return lines


def already_accepted(name: str, lang: str) -> str:
    """For whoever is still on the line, or presses 1, after someone else accepted."""
    return text(lang, "already_accepted", name=name)


def recording_label(index: int, total: int, ref: str, lang: str) -> str:
    if total > 1:
        return text(lang, "recording_label", n=index + 1, total=total, ref=spoken_digits(ref))
    return text(lang, "recording_label_one")

