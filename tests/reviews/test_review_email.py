"""A review action item's reminder by email, through the broadcasts' email path to a real SMTP
server (aiosmtpd): plain text and HTML, in the owner's language, once per due item however many
cycles run (the daily SMS goes on; the email is never sent twice); an item not yet due, done, or
whose owner has no address gets none; a passing SMTP failure is tried again, with the same
Message-ID."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from hotline.base.jobs import run
from hotline.base.lifecycle import Actor, Channel
from hotline.base.models import Incident, utcnow
from hotline.reviews import commands as reviews
from hotline.reviews.models import ActionItem, ActionState
from hotline.service.embedded_redis import start_embedded_redis
from tests.support.broadcasts import Mailbox, broadcast_config, config_with_broadcasts, serving
from tests.support.lanes import starts_processes
from tests.support.sandbox import Hotline

ALICE = Actor("alice", Channel.CONSOLE)


class FlakyMailbox(Mailbox):
    """Answers 451 (try later) to the addresses in `later`, as a busy server does."""

    def __init__(self) -> None:
        super().__init__()
        self.later: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802, ANN001, ANN201
        if address in self.later:
            return "451 4.3.0 try again later"
        return await super().handle_RCPT(server, session, envelope, address, options)


@pytest.fixture(scope="module")
def mailbox() -> Iterator[FlakyMailbox]:
    yield from serving(FlakyMailbox())


@pytest.fixture(scope="module")
@starts_processes
def h(tmp_path_factory: pytest.TempPathFactory, mailbox: FlakyMailbox) -> Iterator[Hotline]:
    """No worker: the reminders are sent by the convergence cycle, in this process."""
    tmp = tmp_path_factory.mktemp("review-email")
    redis = start_embedded_redis(tmp / "redis", persist=False)
    path = config_with_broadcasts(tmp, broadcast_config(mailbox.port))
    text = path.read_text(encoding="utf-8")
    for key, address in (("lin", "lin@example.org"), ("chen", "chen@example.org")):
        text = text.replace(f"[people.{key}]\n", f'[people.{key}]\nemail = "{address}"\n', 1)
    path.write_text(text, encoding="utf-8")
    hotline = Hotline(tmp, redis.url, "sqlite", config_path=path)
    yield hotline
    hotline.close()
    redis.stop()


def review_with_actions(h: Hotline, *items: tuple[str, str, int]) -> tuple[int, list[int]]:
    """A closed incident's review with action items (text, owner, due in days from today)."""
    today = utcnow().astimezone(ZoneInfo(h.config.timezone)).date()
    with h.session() as s:
        row = Incident(type_key="other", language="en-US", ref=f"R{len(items)}{today.day}", status="closed")
        s.add(row)
        s.flush()
        incident_id = row.id
    review_id = run(reviews.start, incident_id, ALICE).subject_id
    assert review_id is not None
    for text, owner, days in items:
        assert run(reviews.add_action, h.config, review_id, text, owner, today + timedelta(days=days), ALICE).ok
    with h.session() as s:
        ids = [a.id for a in s.query(ActionItem).filter_by(review_id=review_id).order_by(ActionItem.id)]
    return incident_id, ids


def test_a_due_item_is_emailed_once_in_plain_text_and_html(h: Hotline, mailbox: FlakyMailbox):
    incident_id, (due, later, nobody, done) = review_with_actions(
        h, ("Add a second PR responder at night", "lin", 0), ("Test the generator", "chen", 3),
        ("Call the insurer", "wang", 0), ("Already handled", "chen", -1))
    assert run(reviews.move_action, done, ActionState.DONE, ALICE).ok

    h.converge(utcnow())
    mail = h.wait_for(lambda: mailbox.to("lin@example.org"), what="Lin's reminder email")
    assert len(mail) == 1
    msg = mail[0]
    assert msg["Message-ID"] == f"<review-action-{due}@127.0.0.1>"
    plain, html = msg.get_body(("plain",)), msg.get_body(("html",))
    assert plain is not None and html is not None
    assert "Add a second PR responder at night" in plain.get_content()
    assert "Add a second PR responder at night" in html.get_content() and "<p>" in html.get_content()
    assert "an action item of the review of" in str(msg["Subject"])  # her language first, as her SMS
    assert h.audit(incident_id, "review.reminder_emailed")

    # Later cycles, the next day too (the SMS is sent again then): never a second email.
    h.converge(utcnow() + timedelta(minutes=5))
    h.converge(utcnow() + timedelta(days=1, minutes=1))
    assert len(mailbox.to("lin@example.org")) == 1
    assert mailbox.to("chen@example.org") == []  # not due yet, or done
    assert len(h.audit(incident_id, "review.reminder_emailed")) == 1
    assert later and nobody  # wang has no address: the SMS only


def test_a_passing_smtp_failure_is_tried_again_with_the_same_message_id(h: Hotline, mailbox: FlakyMailbox):
    mailbox.later.add("chen@example.org")
    incident_id, (item,) = review_with_actions(h, ("Rotate the keys", "chen", 0))
    h.converge(utcnow())
    assert [e.detail["permanent"] for e in h.audit(incident_id, "review.reminder_email_failed")] == [False]
    mailbox.later.clear()
    h.converge(utcnow() + timedelta(minutes=1))
    mail = h.wait_for(lambda: [m for m in mailbox.to("chen@example.org") if "Rotate the keys" in
                               m.get_body(("plain",)).get_content()], what="Chen's email, second try")
    assert len(mail) == 1 and mail[0]["Message-ID"] == f"<review-action-{item}@127.0.0.1>"
    h.converge(utcnow() + timedelta(minutes=2))
    assert len([m for m in mailbox.to("chen@example.org") if "Rotate the keys" in
                m.get_body(("plain",)).get_content()]) == 1
