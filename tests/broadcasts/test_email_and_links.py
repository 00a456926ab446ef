"""Broadcast email through a real SMTP server (aiosmtpd): plain text and HTML, Message-ID and
List-Unsubscribe headers; the signed reply link asks before it records and works once; one-click
unsubscribe is kept; an address the server refuses moves the person to their next channel."""

from __future__ import annotations

import re

from hotline.broadcasts.models import DeliveryState, RecipientState
from tests.broadcasts.conftest import Mailbox, deliveries, group, people, recipients, send
from tests.support.sandbox import Hotline

STAFF = """name,phone,email,department,site,language,channels
Dee Ho,+886912200001,dee@example.org,Legal,Taipei,en-US,email
Eli Su,+886912200002,eli@example.org,Legal,Taipei,zh-TW,email;sms
"""


def test_email_parts_headers_and_single_use_links(h: Hotline, mailbox: Mailbox):
    people(h, STAFF)
    group(h, "legal", "department = Legal")
    mailbox.refuse.add("eli@example.org")
    b = send(h, ("legal",), ("email", "sms"))

    mail = h.wait_for(lambda: mailbox.to("dee@example.org"), what="Dee's email")[0]
    delivery = h.wait_for(lambda: next((d for d in deliveries(h, b) if d.channel == "email" and
                                        d.state == DeliveryState.SENT), None), what="the email recorded as sent")
    assert mail["Message-ID"] == f"<broadcast-{b}.delivery-{delivery.id}@127.0.0.1>" == delivery.provider_id
    assert str(mail["List-Unsubscribe"]).strip().startswith(f"<{h.public_url}/b/unsubscribe/")  # (folded: long)
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail["Subject"] == "Example Org: Earthquake"
    plain, html = mail.get_body(("plain",)), mail.get_body(("html",))
    assert plain is not None and html is not None
    assert "Earthquake: leave by the stairs." in plain.get_content() and "<a href=" in html.get_content()
    links = dict(re.findall(r"  (\d)\. [^:]+: (\S+)", plain.get_content()))
    assert set(links) == {"1", "2"}

    # Eli's address is refused (550): he is texted instead, at once.
    h.wait_for(lambda: h.sim.phone("+886912200002").messages, what="Eli's text after the refused email")
    assert any(d.channel == "email" and d.state == DeliveryState.FAILED and "550" in (d.error or "")
               for d in deliveries(h, b))

    client = h.app.test_client()
    path = links["1"].removeprefix(h.public_url)
    page = client.get(path)  # a mail scanner opening the link records nothing
    assert page.status_code == 200 and "I am safe" in page.get_data(as_text=True)
    assert recipients(h, b)["Dee Ho"].state == RecipientState.WAITING
    assert "Your answer is recorded: I am safe" in client.post(path).get_data(as_text=True)
    dee = recipients(h, b)["Dee Ho"]
    assert (dee.state, dee.answer, dee.answered_via) == (RecipientState.ANSWERED, "1", "link")
    again = client.post(links["2"].removeprefix(h.public_url))  # the other answer's link of the same email
    assert again.status_code == 410 and recipients(h, b)["Dee Ho"].answer == "1"
    assert client.get(path[:-3] + "xyz").status_code == 404  # a forged token


def test_one_click_unsubscribe_is_kept(h: Hotline, mailbox: Mailbox):
    mail = mailbox.to("dee@example.org")[0]
    url = str(mail["List-Unsubscribe"]).strip().strip("<>").removeprefix(h.public_url)
    client = h.app.test_client()
    assert client.post(url[:-3] + "xyz", data={"List-Unsubscribe": "One-Click"}).status_code == 404  # forged
    assert client.post(url, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    before = len(mailbox.to("dee@example.org"))
    b = send(h, ("legal",), ("email",), question=None)
    h.wait_for(lambda: not [d for d in deliveries(h, b) if d.state in (DeliveryState.QUEUED, DeliveryState.SENDING)],
               what="the second broadcast to settle")
    assert len(mailbox.to("dee@example.org")) == before
    assert recipients(h, b)["Dee Ho"].state == RecipientState.UNREACHABLE
