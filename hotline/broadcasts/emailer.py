"""Broadcast email over SMTP: a plain-text and an HTML part, a stable Message-ID, and the
List-Unsubscribe headers mail providers expect of bulk mail (RFC 2369, one-click RFC 8058).

The Message-ID is made from the delivery's id, so a message sent again after a crash (SMTP gives
no way to ask whether it was) carries the same id, and mail systems treat it as the same message.
A 5xx answer is permanent (the address is refused; the recipient moves to their next channel),
a 4xx or a connection failure passes (sent again later).
"""

from __future__ import annotations

import html
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate

from hotline.broadcasts.settings import EmailSettings

TIMEOUT_SECONDS = 15


class EmailError(Exception):
    def __init__(self, message: str, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    message_id: str
    unsubscribe: str  # the one-click unsubscribe URL
    links: tuple[tuple[str, str], ...] = ()  # (label, URL) of the answers
    answer_heading: str = ""
    unsubscribe_label: str = ""


def message_id(broadcast_id: int, delivery_id: int, domain: str) -> str:
    return f"<broadcast-{broadcast_id}.delivery-{delivery_id}@{domain}>"


def build(sender: str, mail: Email) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, mail.to, mail.subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = mail.message_id
    msg["List-Unsubscribe"] = f"<{mail.unsubscribe}>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg["Auto-Submitted"] = "auto-generated"
    lines = [mail.text, ""]
    if mail.links:
        lines.append(mail.answer_heading)
        lines.extend(f"  {label}: {url}" for label, url in mail.links)
        lines.append("")
    lines.append(f"{mail.unsubscribe_label} {mail.unsubscribe}")
    msg.set_content("\n".join(lines))
    buttons = "".join(f'<p><a href="{html.escape(url)}" style="display:inline-block;padding:12px 20px;'
                      f'border:1px solid #333;border-radius:6px;text-decoration:none">{html.escape(label)}</a></p>'
                      for label, url in mail.links)
    body = "".join(f"<p>{html.escape(p)}</p>" for p in mail.text.split("\n\n"))
    heading = f"<p><strong>{html.escape(mail.answer_heading)}</strong></p>" if mail.links else ""
    msg.add_alternative(
        f"<!doctype html><html><body>{body}{heading}{buttons}<hr><p style=\"font-size:small\">"
        f"{html.escape(mail.unsubscribe_label)} <a href=\"{html.escape(mail.unsubscribe)}\">"
        f"{html.escape(mail.unsubscribe)}</a></p></body></html>", subtype="html")
    return msg


def build_notice(sender: str, to: str, subject: str, text: str, message_id_: str) -> EmailMessage:
    """A message to one person (not bulk mail: no unsubscribe), a plain-text and an HTML part."""
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = message_id_
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(text)
    body = "".join(f"<p>{html.escape(p)}</p>" for p in text.split("\n\n"))
    msg.add_alternative(f"<!doctype html><html><body>{body}</body></html>", subtype="html")
    return msg


def send(settings: EmailSettings, msg: EmailMessage) -> None:
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT_SECONDS) as smtp:
            if settings.starttls:
                smtp.starttls()
            if settings.username:
                smtp.login(settings.username, settings.password)
            smtp.send_message(msg)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        raise EmailError(f"refused: {exc.recipients}", permanent=all(c >= 500 for c in codes)) from exc
    except smtplib.SMTPResponseException as exc:
        raise EmailError(f"{exc.smtp_code} {exc.smtp_error!r}", permanent=exc.smtp_code >= 500) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise EmailError(f"{type(exc).__name__}: {exc}", permanent=False) from exc
