"""A review as a document to hand round: Markdown, and PDF (fpdf2, pure Python) from the same lines.

`markdown` is a pure function of the review's data and a translating function, so the export is
in the language of whoever asked for it; the PDF lays out the Markdown's lines, with a font that
has the characters of the text when the machine has one (else the text's Latin part only).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from hotline.reviews.models import ActionItem
from hotline.reviews.report import Figures, RecordingLine
from hotline.reviews.targets import Measured

# Fonts tried in order for the PDF; the first that exists is used. A CJK font only for a text
# that has CJK characters: reading one takes seconds, a Latin font a fraction of one.
CJK_FONTS = (Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
             Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"))
LATIN_FONTS = (Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
               Path("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf"))
CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")


@dataclass(frozen=True)
class Document:
    """Everything a review shows, as read for one request."""

    title: str
    figures: Figures
    findings: str
    actions: Sequence[ActionItem]
    recordings: Sequence[RecordingLine]
    key_words: dict[str, str]  # key time -> its name, translated
    names: dict[str, str]  # person key -> name
    measured: dict[str, Measured] = field(default_factory=dict)  # a drill's: key time -> against its target


def markdown(doc: Document, _: Callable[[str], str], local: Callable[[datetime | None], str]) -> str:
    f = doc.figures
    head = f"| {_('Moment')} | {_('Time')} | {_('After the report')} |"
    out = [f"# {doc.title}", "", f"## {_('Key times')}", "",
           head + (f" {_('Drill target')} |" if doc.measured else ""),
           "| --- | --- | --- |" + (" --- |" if doc.measured else "")]
    for t in f.times:
        after = "—" if t.seconds is None else f"{t.seconds:g} s"
        row = f"| {doc.key_words.get(t.key, t.key)} | {local(t.at) if t.at else '—'} | {after} |"
        m = doc.measured.get(t.key)
        if doc.measured:
            took = "" if m is None else (_("never") if m.seconds is None else f"{m.seconds:g} s")
            row += "" if m is None else f" {took} / {m.target} s{' — **' + _('Missed') + '**' if m.missed else ''}"
            row += " |"
        out.append(row)
    out += ["", f"## {_('People')}", ""]
    for p in f.people:
        deeds = ", ".join(f"{_(word)} ×{n}" for word, n in p.deeds)
        calls = f"{_('rang')} {p.rang}, {_('answered')} {p.answered}"
        out.append(f"- **{p.name}**: {calls}" + (f"; {deeds}" if deeds else ""))
    if f.steps:
        out += ["", f"## {_('Checklist')}", ""]
        for c in f.steps:
            text = next(iter(c.step.text.values()), "")
            late = f" — **{_('late')} {c.late_seconds:g} s**" if c.late_seconds is not None else ""
            out.append(f"- [{'x' if c.step.done_at else ' '}] {text} ({c.step.owner_role}){late}")
    out += ["", f"## {_('Recordings')}", ""]
    for r in doc.recordings:
        out.append(f"- #{r.id} {r.kind} {local(r.created_at)}: {r.transcript or '—'}")
    out += ["", f"## {_('Findings')}", "", doc.findings or "—", "", f"## {_('Action items')}", ""]
    for a in doc.actions:
        out.append(f"- [{'x' if a.state == 'done' else ' '}] {a.text} — {doc.names.get(a.owner_key, a.owner_key)}, "
                   f"{_('due')} {a.due_on.isoformat()}")
    return "\n".join(out) + "\n"


def pdf(text: str) -> bytes:
    """The Markdown's lines on A4 pages."""
    from fpdf import FPDF  # imported here: only this export needs it

    doc = FPDF(format="A4")
    doc.set_auto_page_break(True, margin=15)
    doc.add_page()
    fonts = (*CJK_FONTS, *LATIN_FONTS) if CJK.search(text) else LATIN_FONTS
    font = next((p for p in fonts if p.exists()), None)
    if font is not None:
        doc.add_font("body", fname=str(font))
        doc.set_font("body", size=10)
    else:
        doc.set_font("helvetica", size=10)
        text = text.encode("latin-1", "replace").decode("latin-1")
    for line in text.splitlines():
        size = 16 if line.startswith("# ") else 13 if line.startswith("## ") else 10
        doc.set_font_size(size)
        doc.multi_cell(0, size * 0.55, line.lstrip("# ") or " ", new_x="LMARGIN", new_y="NEXT")
    return bytes(doc.output())
