"""Logs: plain lines by default, JSON lines as an option, and what a line is about on every line.

`HOTLINE_LOG_FORMAT=json` (or `[logging] format = "json"`, read by whoever calls
`configure_logging`) makes every process write one JSON object per line, for a log shipper
(journald, Loki, Elasticsearch) to index without parsing prose.

"About what": code handling an incident says so once, with `about(incident_id=...)`, and every
line logged inside, by any module, carries the incident's reference (as callers hear it read
back and the console shows it), plus the call or callout when known. It is a context variable,
so threads of one web worker and jobs run one after another in one RQ worker never mix.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from hotline.base.models import reference_for

FORMAT_ENV = "HOTLINE_LOG_FORMAT"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s%(about)s"
FIELDS = ("incident", "call_sid", "callout", "attempt", "recording")

_about: ContextVar[dict[str, str]] = ContextVar("hotline_log_about", default={})  # noqa: B039 - never mutated


@contextmanager
def about(incident_id: int | None = None, **more: object) -> Iterator[None]:
    """Inside this block, log lines say what they are about. Inner blocks add to outer ones."""
    fields = dict(_about.get())
    if incident_id is not None:
        fields["incident"] = reference_for(incident_id)
    fields.update({k: str(v) for k, v in more.items() if v is not None and v != ""})
    token = _about.set(fields)
    try:
        yield
    finally:
        _about.reset(token)


def current() -> dict[str, str]:
    return dict(_about.get())


class AboutFilter(logging.Filter):
    """Puts the context's fields on each record (`record.incident` ...), and `record.about`, the
    same as text for the plain format (" [incident=1001 call_sid=CA...]")."""

    def filter(self, record: logging.LogRecord) -> bool:
        fields = _about.get()
        for name in FIELDS:
            setattr(record, name, fields.get(name))
        record.about = (" [" + " ".join(f"{k}={v}" for k, v in fields.items()) + "]") if fields else ""
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname, "logger": record.name, "message": record.getMessage(),
            "pid": record.process,
        }
        line.update({name: getattr(record, name) for name in FIELDS if getattr(record, name, None)})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def log_format(env: dict[str, str] | None = None) -> str:
    value = (env if env is not None else os.environ).get(FORMAT_ENV, "text").strip().lower()
    return "json" if value == "json" else "text"


def configure_logging(level: int = logging.INFO, fmt: str | None = None) -> None:
    """As logging.basicConfig: a root handler when the process has none yet (pytest's capture, or
    an earlier call, keeps its own); every root handler gets the filter, so `%(about)s` works."""
    root = logging.getLogger()
    if not root.handlers:
        stream = logging.StreamHandler()
        stream.hotline = True  # type: ignore[attr-defined]  # our mark: this handler is ours to format
        root.addHandler(stream)
    for handler in root.handlers:
        if not any(isinstance(f, AboutFilter) for f in handler.filters):
            handler.addFilter(AboutFilter())
        if getattr(handler, "hotline", False):
            handler.setFormatter(JsonFormatter() if (fmt or log_format()) == "json" else logging.Formatter(TEXT_FORMAT))
    root.setLevel(level)
