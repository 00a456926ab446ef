"""Every string a person reads is translated, found by tools rather than by eye:

- the gettext catalogue has a translation for every string `pybabel extract` finds;
- every named state of the system is listed for extraction (the features' `words`, in the registry);
- every page and fragment of the console, rendered as an admin with real data, has no English
  left in zh-TW and no Chinese in en-US beyond the language switch and the data itself.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from hotline.base import states
from hotline.base.config import ROOT
from hotline.base.registry import registry
from hotline.web import catalog
from tests.support.console import ADMIN, logged_in_client, pages
from tests.support.sandbox import Hotline

METHODS = [("**.py", "python"), ("**.html", "jinja2")]


def extracted() -> set[str]:
    """What `pybabel extract -F babel.cfg` finds: the same patterns."""
    found: set[str] = set()
    methods = [(pattern, method) for method, pattern in BABEL_CFG]
    for _file, _line, message, _comments, _context in extract_from_dir(ROOT, methods):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.add(msgid)
    return found


BABEL_CFG = [tuple(line.strip("[]").split(": ")) for line in (ROOT / "babel.cfg").read_text().splitlines()
             if line.startswith("[")]


def test_the_catalogue_translates_every_extracted_string():
    with catalog.po_path().open("rb") as f:
        po = read_po(f)
    translated = {m.id for m in po if m.id and m.string and not m.fuzzy}
    strings = extracted()
    assert len(strings) > 150  # the extraction is not vacuous
    missing = sorted(strings - translated)
    assert not missing, f"not in {catalog.po_path().name} (run pybabel extract/update, then translate): {missing}"
    assert catalog.missing() == []


def test_every_state_is_listed_for_translation():
    listed = set(registry().words)
    for enum in (states.IncidentStatus, states.CalloutState, states.AttemptState, states.RecordingStatus,
                 states.TranscriptStatus):
        assert {str(m) for m in enum} <= listed, enum


# --- Walking the pages -----------------------------------------------------------------------

class Visible(HTMLParser):
    """Text a person sees or hears from a screen reader, minus what is data by nature: <code>,
    scripts, elements in another language (lang=...), and translate="no" parts."""

    SKIP = {"script", "style", "code"}
    ATTRS = ("title", "aria-label", "placeholder", "data-confirm", "data-ask-label", "alt", "value")

    def __init__(self, lang: str) -> None:
        super().__init__()
        self.lang, self.stack, self.out = lang, [], []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        skip = tag in self.SKIP or (a.get("lang") not in (None, self.lang)) or a.get("translate") == "no"
        if tag not in ("input", "meta", "link", "br", "img", "source"):
            self.stack.append(skip or (bool(self.stack) and self.stack[-1]))
        if not (self.stack and self.stack[-1]) and not skip:
            for name in self.ATTRS:
                if a.get(name) and not (name == "value" and a.get("type") in ("hidden", None, "text")):
                    self.out.append(str(a[name]))

    def handle_endtag(self, tag: str) -> None:
        if tag not in ("input", "meta", "link", "br", "img", "source") and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not (self.stack and self.stack[-1]) and data.strip():
            self.out.append(data.strip())


def visible(html: str, lang: str) -> list[str]:
    p = Visible(lang)
    p.feed(html)
    return p.out




LATIN_WORD = re.compile(r"[A-Za-z]{3,}")
CJK = re.compile(r"[\u3400-\u9fff]")


def allowed_latin(h: Hotline) -> set[str]:
    """Words that are data, not interface: names of people, the org, users, products, formats."""
    cfg = h.app.config["HOTLINE"]
    text = " ".join([cfg.org_name, *(p.name for p in cfg.people.values()), ADMIN, "victor", "Twilio", "Redis", "JSON",
                     "English", "wav", "Hz", "bit", "sqlite", "redis", "TTS", "CSV",
                     "drill called back done"])  # what this test's admin typed: data too
    return set(LATIN_WORD.findall(text))


def test_every_page_in_both_languages(hotline: Hotline, incidents_in_each_state: dict[str, int]):
    client = logged_in_client(hotline)
    latin_ok = allowed_latin(hotline)
    walked = 0
    problems: list[str] = []
    for url in pages(hotline, incidents_in_each_state):
        for lang in ("zh-TW", "en-US"):
            client.set_cookie("console_lang", lang)
            r = client.get(url)
            if r.status_code in (302,) or not r.mimetype == "text/html":
                r.close()  # a CSV export streams: end it
                continue
            walked += 1
            for text in visible(r.get_data(as_text=True), lang):
                if lang == "zh-TW":
                    left = set(LATIN_WORD.findall(re.sub(r"\{\w+\}", "", text))) - latin_ok  # {person}: filled in
                    if left and not re.fullmatch(r"[\w.:/+\-]+", text):  # a bare id, path or number is data
                        problems.append(f"{url} [{lang}] {text!r}: {sorted(left)}")
                elif CJK.search(text) and text != "中文":
                    problems.append(f"{url} [{lang}] {text!r}")
    assert walked >= 20
    assert not problems, "untranslated:\n" + "\n".join(sorted(set(problems)))
