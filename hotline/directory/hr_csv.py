"""Read an HR export (CSV) into directory rows, and say which rows were refused and why.

Pure: text in, rows and refusals out; `hotline.directory.commands.import_people` writes them.
The columns an HR system exports are matched by name, case and spacing ignored, with the usual
aliases ("mobile", "e-mail", "dept", "location"); `name` and a phone or an email are required,
the rest may be missing. A row is refused, never guessed at: a phone `phonenumbers` cannot read
(numbers without +country are read in `[organisation] default_region`), an email without a
domain, a language the hotline does not speak, a channel we do not have, or a phone or email that
an earlier row of the same file already used.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from hotline.base.phone import to_e164
from hotline.directory.models import CHANNELS

ALIASES = {
    "name": ("name", "full name", "fullname", "employee name", "display name"),
    "phone": ("phone", "mobile", "mobile phone", "cell", "phone number", "telephone"),
    "email": ("email", "e-mail", "email address", "e-mail address", "mail", "work email"),
    "department": ("department", "dept", "division", "team"),
    "site": ("site", "location", "office", "work location"),
    "language": ("language", "lang", "preferred language", "locale"),
    "channels": ("channels", "preferred channels"),
}
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_ROWS = 100_000


@dataclass(frozen=True)
class PersonRow:
    line: int  # in the file, counting the header as line 1
    name: str
    phone: str | None
    email: str | None
    department: str
    site: str
    language: str
    channels: tuple[str, ...]


@dataclass(frozen=True)
class Refusal:
    line: int
    reason: str
    text: str  # the row as it was, for the report


def _column(header: str) -> str | None:
    words = " ".join(header.strip().lower().replace("_", " ").split())
    return next((key for key, names in ALIASES.items() if words in names), None)


def _language(value: str, languages: tuple[str, ...]) -> str | None:
    """"zh-tw", "zh_TW", "en" -> a hotline language tag; empty -> the default; else None."""
    if not value.strip():
        return languages[0]
    wanted = value.strip().replace("_", "-").lower()
    exact = next((lang for lang in languages if lang.lower() == wanted), None)
    return exact or next((lang for lang in languages if lang.lower().split("-")[0] == wanted), None)


def parse(text: str, region: str, languages: tuple[str, ...]) -> tuple[list[PersonRow], list[Refusal]]:
    """Every row of the export, accepted or refused; a file without the needed columns is one
    refusal on line 1 that names them."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))  # Excel's byte-order mark
    header = next(reader, None)
    if header is None:
        return [], [Refusal(1, "the file is empty: export name, phone, email, department, site, language", "")]
    columns = [_column(h) for h in header]
    if "name" not in columns or not {"phone", "email"} & set(columns):
        return [], [Refusal(1, "the header needs a name column and a phone or email column "
                            "(name, phone, email, department, site, language)", ",".join(header))]
    rows: list[PersonRow] = []
    refused: list[Refusal] = []
    seen: dict[str, int] = {}
    for line, cells in enumerate(reader, start=2):
        if line > MAX_ROWS + 1:
            refused.append(Refusal(line, f"more than {MAX_ROWS} rows: split the file", ""))
            break
        if not any(c.strip() for c in cells):
            continue
        raw = {key: cell.strip() for key, cell in zip(columns, cells, strict=False) if key}
        row_text = ",".join(cells)
        found = check_row(line, raw, region, languages)
        if isinstance(found, str):
            refused.append(Refusal(line, found, row_text))
            continue
        clash = next((f"{what} {value} is already on line {seen[value]}" for what, value in
                      (("phone", found.phone), ("email", found.email)) if value and value in seen), None)
        if clash:
            refused.append(Refusal(line, clash, row_text))
            continue
        for value in (found.phone, found.email):
            if value:
                seen[value] = line
        rows.append(found)
    return rows, refused


def check_row(line: int, raw: dict[str, str], region: str, languages: tuple[str, ...]) -> PersonRow | str:
    name = raw.get("name", "")
    if not name:
        return "no name"
    phone_text, email = raw.get("phone", ""), raw.get("email", "").lower()
    if not phone_text and not email:
        return "neither a phone nor an email: nobody could be reached"
    phone = to_e164(phone_text, region) if phone_text else None
    if phone_text and phone is None:
        return f"phone {phone_text!r} is not a valid number (write it with +country, e.g. +886912345678)"
    if email and not EMAIL_RE.match(email):
        return f"email {email!r} is not an address"
    language = _language(raw.get("language", ""), languages)
    if language is None:
        return f"language {raw.get('language')!r} is not one of the hotline's: {', '.join(languages)}"
    channels = tuple(c.strip().lower() for c in re.split(r"[;|/ ]+", raw.get("channels", "")) if c.strip())
    unknown = [c for c in channels if c not in CHANNELS]
    if unknown:
        return f"channel {unknown[0]!r} is not one of: {', '.join(CHANNELS)}"
    return PersonRow(line, name[:120], phone, email or None, raw.get("department", "")[:80],
                     raw.get("site", "")[:80], language, channels)
