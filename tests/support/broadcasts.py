"""The broadcast tests' helpers: a local SMTP mailbox, the config with the senders, filling the
directory, sending a broadcast and reading its rows, and an inbound text as the SMS channel handles it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy import select

from hotline.base.jobs import run
from hotline.base.lifecycle import Actor, Channel, Outcome
from hotline.broadcasts import commands
from hotline.broadcasts.models import Delivery, Recipient
from hotline.directory import commands as directory
from hotline.service.embedded_redis import free_port
from tests.support.crisis import write_config
from tests.support.sandbox import HOTLINE, Hotline

ADMIN = Actor("alice", Channel.CONSOLE)


class Mailbox:
    """An SMTP server's handler that keeps every message it accepted, parsed."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse: set[str] = set()  # addresses answered 550
        self.port = free_port()
        self.lock = threading.Lock()

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:  # noqa: N802
        if address in self.refuse:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self.lock:
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if m["To"] == address]


def serving(box: Mailbox) -> Iterator[Mailbox]:
    """A module fixture's body: a real SMTP server (aiosmtpd) on `box.port` until the module ends."""
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    yield box
    controller.stop()


def config_with_broadcasts(folder: Path, section: str) -> Path:
    """The repository's config.toml and plans (`write_config`) with its own `[broadcasts]` section
    giving way to `section` (from `broadcast_config`)."""
    path = write_config(folder)
    text = path.read_text(encoding="utf-8")
    start = text.index("\n[broadcasts]\n")
    path.write_text(text[:start] + text[text.index("\n# --- Drills", start):] + section, encoding="utf-8")
    return path


def staff_csv(n: int, phone_prefix: str, department: str, start: int = 0, sites: int = 1) -> str:
    """An HR export of `n` people reached by SMS, numbered from `start`: phones `phone_prefix` and
    five digits, sites "Site 0" … "Site sites-1" in turn."""
    rows = [f"Person {start + i},{phone_prefix}{start + i:05d},,{department},Site {i % sites},en-US,sms"
            for i in range(n)]
    return "name,phone,email,department,site,language,channels\n" + "\n".join(rows) + "\n"


def texts_to(h: Hotline, prefix: str) -> dict[str, int]:
    """How many texts the sim took for each number starting with `prefix`."""
    counts: dict[str, int] = {}
    for m in h.sim.messages:
        if m.to.startswith(prefix):
            counts[m.to] = counts.get(m.to, 0) + 1
    return counts


def broadcast_config(port: int, extra: str = "", sms_per_second: int = 50) -> str:
    return f"""
[broadcasts]
two_person_rule = true
retry_minutes = 5
sms_per_second = {sms_per_second}
calls_per_second = 20
email_per_second = 50
push_per_second = 50

[broadcasts.email]
host = "127.0.0.1"
port = {port}
sender = "Example Org <alerts@example.org>"
{extra}"""


def people(h: Hotline, csv_text: str) -> None:
    cfg = h.config
    with h.session() as s:
        report = directory.import_people(s, csv_text, ADMIN, cfg.default_region, cfg.languages)
    assert not report.refused, report.refused


def group(h: Hotline, key: str, rule: str = "") -> None:
    assert run(directory.save_group, key, key, rule, ADMIN).ok


def send(h: Hotline, groups: tuple[str, ...], channels: tuple[str, ...], *, question: str | None = "safety",
         bodies: dict[str, str] | None = None, retry_minutes: int = 5, help_type: str = "natural_disaster") -> int:
    spec = commands.Spec("Earthquake", bodies or {"en-US": "Earthquake: leave by the stairs.",
                                                  "zh-TW": "地震：請走樓梯離開。"},
                         groups, channels, question, retry_minutes, help_type)
    out: Outcome = run(commands.draft, spec, ADMIN, False)
    assert out.ok, out
    assert out.subject_id is not None
    return out.subject_id


def deliveries(h: Hotline, broadcast_id: int) -> list[Delivery]:
    with h.session() as s:
        return list(s.scalars(select(Delivery).where(Delivery.broadcast_id == broadcast_id).order_by(Delivery.id)))


def recipients(h: Hotline, broadcast_id: int) -> dict[str, Recipient]:
    with h.session() as s:
        return {r.name: r for r in s.scalars(select(Recipient).where(Recipient.broadcast_id == broadcast_id))}


def text_in(h: Hotline, sender: str, body: str) -> str | None:
    """The sender texts the hotline number through the sim: Twilio's signed webhook to
    /sms/incoming, which offers it to each feature's handler in turn. The answer texted back."""
    replies = h.sim.phone(sender).text(HOTLINE, body)
    return replies[-1] if replies else None
