"""A hotline per module for broadcast tests: the repository's config.toml and plans with a
`[broadcasts]` section whose email goes to a real local SMTP server (aiosmtpd), a worker for the
senders (and one for paging), and helpers to fill the directory and send a broadcast."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from hotline.base.jobs import run
from hotline.base.lifecycle import Actor, Channel, Outcome
from hotline.broadcasts import commands
from hotline.broadcasts.models import Delivery, Recipient
from hotline.directory import commands as directory
from hotline.service.embedded_redis import free_port, start_embedded_redis
from tests.crisis.conftest import write_config
from tests.support.sandbox import Hotline

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
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if m["To"] == address]


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    yield box
    controller.stop()


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


@pytest.fixture(scope="module")
def h(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, mailbox: Mailbox) -> Iterator[Hotline]:
    tmp = tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1])
    redis = start_embedded_redis(tmp / "redis", persist=False)
    extra = broadcast_config(mailbox.port, getattr(request.module, "EXTRA_CONFIG", ""),
                             getattr(request.module, "SMS_PER_SECOND", 50))
    path = write_config(tmp)
    text = path.read_text(encoding="utf-8")
    start = text.index("\n[broadcasts]\n")  # the repository's own section gives way to this module's
    path.write_text(text[:start] + text[text.index("\n# --- Drills", start):] + extra, encoding="utf-8")
    hotline = Hotline(tmp, redis.url, config_path=path)
    hotline.start_worker("callout", "recordings", "default")
    hotline.start_worker("broadcasts")
    hotline.redis_server = redis  # type: ignore[attr-defined]
    yield hotline
    hotline.close()
    redis.stop()


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
