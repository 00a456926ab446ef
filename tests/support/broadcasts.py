"""The broadcast tests' helpers: a local SMTP mailbox, the config with the senders, filling the
directory, sending a broadcast and reading its rows, and an inbound text as the SMS channel handles it.
"""

from __future__ import annotations

import threading
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from sqlalchemy import select

from hotline.base.jobs import run
from hotline.base.lifecycle import Actor, Channel, Outcome
from hotline.broadcasts import commands
from hotline.broadcasts.models import Delivery, Recipient
from hotline.directory import commands as directory
from hotline.service.embedded_redis import free_port
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
