"""The console's gettext catalogues: hotline/translations/<locale>/LC_MESSAGES/messages.po.

Translators work on the .po with the ordinary tools (babel.cfg at the repository root):

    pybabel extract -F babel.cfg -o hotline/translations/messages.pot .
    pybabel update -i hotline/translations/messages.pot -d hotline/translations
    pybabel compile -d hotline/translations          # optional: start-up does it too

The .mo files are build output, not source (.gitignore): `compile_stale` turns each .po into
its .mo when the .mo is missing or older, at start-up, so a checkout, an editable install and
a test run never serve a stale translation and nobody has to remember a build step. Where the
package folder is read-only, the .mo goes to a temporary folder instead.
`fold` writes a dict of translations (English -> zh-TW) into the .po, for a channel that brings
its strings as a dict.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

log = logging.getLogger("hotline.web.catalog")

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
DOMAIN = "messages"
ZH_LOCALE = "zh_Hant_TW"


def po_path(locale: str = ZH_LOCALE) -> Path:
    return TRANSLATIONS / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def compile_stale(source: Path = TRANSLATIONS) -> Path:
    """The folder to load translations from, with every .mo as new as its .po."""
    try:
        _compile_into(source, source)
        return source
    except OSError as exc:  # a read-only install: compile next to nothing we own
        target = Path(tempfile.mkdtemp(prefix="hotline-translations-"))
        log.info("translations folder not writable (%s); compiling into %s", exc, target)
        _compile_into(source, target)
        return target


def _compile_into(source: Path, target: Path) -> None:
    for po in sorted(source.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        mo = target / po.relative_to(source).with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as f:
            catalog = read_po(f, locale=po.parts[-3])
        mo.parent.mkdir(parents=True, exist_ok=True)
        partial = mo.with_suffix(".mo.part")
        with partial.open("wb") as f:
            write_mo(f, catalog)
        partial.replace(mo)  # atomic: two workers starting at once never read half a file


def missing(locale: str = ZH_LOCALE) -> list[str | tuple[str, ...] | list[str]]:
    """msgids of the catalogue with no translation (fuzzy ones count as missing); a plural's is a sequence."""
    with po_path(locale).open("rb") as f:
        catalog = read_po(f, locale=locale)
    return [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]


def fold(extra: dict[str, str], locale: str = ZH_LOCALE, path: Path | None = None) -> int:
    """Write `extra` (English -> translation) into the .po; returns how many entries changed."""
    path = path or po_path(locale)
    with path.open("rb") as f:
        catalog = read_po(f, locale=locale)
    changed = 0
    for msgid, msgstr in extra.items():
        found = catalog.get(msgid)
        if found is None:
            catalog.add(msgid, msgstr)
        elif found.string != msgstr or found.fuzzy:
            found.string = msgstr
            found.flags.discard("fuzzy")
        else:
            continue
        changed += 1
    if changed:
        with path.open("wb") as f:
            write_po(f, catalog, width=120)
    return changed
