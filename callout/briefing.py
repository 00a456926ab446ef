"""What the responder hears, as plain text: pure functions of the reports, no I/O.

Spoken by text-to-speech, so numbers are written digit by digit and times as HH:MM in the
organisation's time zone (the responder lives there, not in UTC).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from hotline.phone import spoken_digits

LANG = "en-US"
SEVERITY = {"danger": "high: someone may be in danger", "normal": "normal", "unknown": "not given"}
MENU = ("Press 1 to accept. Press 2 to hear the caller's own recording. "
        "Press 3 to pass to the next person. Press 9 to repeat.")
STORM_MENU = ("Press 1 to accept all of them. Press 2 to hear the callers' recordings, one after another. "
              "Press 3 to pass to the next person. Press 9 to repeat.")


@dataclass(frozen=True)
class Report:
    ref: str
    type_name: str
    severity: str
    at: datetime
    caller: str | None
    transcript: str | None = None


def clock(at: datetime, timezone: str) -> str:
    return at.astimezone(ZoneInfo(timezone)).strftime("%H:%M")


def caller_words(number: str | None) -> str:
    return f"the number {spoken_digits(number)}" if number else "a withheld number"


def intro(org: str, reports: Sequence[Report], timezone: str) -> list[str]:
    """The opening lines: who is calling, what came in, and the transcript if there is one."""
    first = reports[0]
    if len(reports) == 1:
        lines = [f"This is the {org} crisis hotline. A {first.type_name} report, severity "
                 f"{SEVERITY.get(first.severity, first.severity)}, came in at {clock(first.at, timezone)} "
                 f"from {caller_words(first.caller)}."]
        if first.transcript:
            lines.append(f"The caller said: {first.transcript}")
        return lines
    danger = sum(1 for r in reports if r.severity == "danger")
    lines = [f"This is the {org} crisis hotline. {len(reports)} reports of type {first.type_name} came in, "
             f"the first at {clock(first.at, timezone)}, the latest at {clock(reports[-1].at, timezone)}."]
    if danger:
        lines.append(f"{danger} of them say someone may be in danger.")
    said = next((r for r in reports if r.transcript), None)
    if said:
        lines.append(f"Report {spoken_digits(said.ref)} said: {said.transcript}")
    return lines


def menu(report_count: int) -> str:
    return STORM_MENU if report_count > 1 else MENU


def machine_message(org: str, type_name: str, hotline: str) -> str:
    return (f"This is the {org} crisis hotline. A {type_name} report needs the on-call team. "
            f"Please call the hotline at {spoken_digits(hotline)} as soon as you can.")


def accepted(name: str, reports: Sequence[Report], callback: str | None) -> list[str]:
    refs = " and ".join(spoken_digits(r.ref) for r in reports[:3])
    what = f"all {len(reports)} reports" if len(reports) > 1 else f"report {refs}"
    lines = [f"Thank you, {name}. You have accepted {what}."]
    if callback:
        lines.append(f"The caller's callback number is {spoken_digits(callback)}.")
    else:
        lines.append("The caller did not leave a callback number.")
    return lines


CONNECT_MENU = "Press 1 to be connected to the caller now. Press 9 to hear the number again."


def too_late(message: str) -> str:
    """For "already accepted by NAME" (from `callout.receive`), or a cancelled callout."""
    if message.startswith("already"):
        return f"Thank you. This report was {message}. Goodbye."
    return "Thank you. This callout has been stopped, nothing more is needed. Goodbye."


def recording_label(index: int, total: int, ref: str) -> str:
    return f"Recording {index + 1} of {total}, report {spoken_digits(ref)}." if total > 1 else "The caller's recording."
