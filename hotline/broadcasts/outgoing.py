"""One message out on one channel: the text in the recipient's language, and the provider call
(SMS and calls through `hotline.provider.dialer`, email through `hotline.broadcasts.emailer`,
web push through `hotline.broadcasts.webpush`). Returns what came of it as plain data; the
sending engine (`hotline.broadcasts.sending`) writes it down.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from hotline.base.config import Config
from hotline.broadcasts import emailer, links, phrases, webpush
from hotline.broadcasts.questions import QUESTIONS
from hotline.broadcasts.settings import BroadcastSettings
from hotline.provider import dialer

OPTED_OUT = 21610  # Twilio: "Attempt to send to unsubscribed recipient" (they texted STOP)
RING_SECONDS = 30


@dataclass(frozen=True)
class Outgoing:
    delivery_id: int
    broadcast_id: int
    person_id: int
    channel: str
    phone: str | None
    email: str | None
    language: str
    title: str
    body: str  # already in the recipient's language
    question: str | None
    push: tuple[webpush.Subscription, ...] = ()


@dataclass(frozen=True)
class Result:
    provider_id: str | None = None  # sent
    error: str | None = None
    permanent: bool = False  # a retry cannot help: the recipient moves to their next channel
    rate_limited: bool = False  # the provider said 429: back off together
    opted_out: bool = False  # the number texted STOP: never text it again
    gone: tuple[str, ...] = ()  # push endpoints the push service has dropped


def sms_text(cfg: Config, out: Outgoing) -> str:
    return phrases.sms_body(cfg.org_name, out.body, QUESTIONS.get(out.question or ""), out.language)


def send(cfg: Config, settings: BroadcastSettings, out: Outgoing) -> Result:
    try:
        if out.channel == "sms":
            return Result(dialer.send_sms(out.phone or "", cfg.numbers[0], sms_text(cfg, out),
                                          status_callback=links.hook(cfg, "sms-status", out.delivery_id)))
        if out.channel == "voice":
            return Result(dialer.place_call(dialer.CallRequest(
                to=out.phone or "", from_=cfg.numbers[0], url=links.hook(cfg, "answer", out.delivery_id),
                status_callback=links.hook(cfg, "status", out.delivery_id), ring_timeout=RING_SECONDS)))
        if out.channel == "email":
            return _email(cfg, settings, out)
        if out.channel == "push":
            return _push(cfg, out)
    except dialer.DialerError as exc:
        return Result(error=exc.describe(), permanent=isinstance(exc, dialer.PermanentError),
                      rate_limited=exc.http_status == 429, opted_out=exc.code == OPTED_OUT)
    return Result(error=f"no channel {out.channel!r}", permanent=True)


def _email(cfg: Config, settings: BroadcastSettings, out: Outgoing) -> Result:
    if not settings.email.configured:
        return Result(error="no SMTP server: set [broadcasts.email] host and sender", permanent=True)
    question = QUESTIONS.get(out.question or "")
    answers = tuple((f"{a.key}. {question.label(a.key, out.language)}", links.reply_link(cfg, out.delivery_id, a.key))
                    for a in question.answers) if question else ()
    domain = urlsplit(cfg.public_url).hostname or "localhost"
    msg_id = emailer.message_id(out.broadcast_id, out.delivery_id, domain)
    text = out.body if question is None else f"{out.body}\n\n{question.prompt.get(out.language, '')}".strip()
    mail = emailer.Email(out.email or "", f"{cfg.org_name}: {out.title}", text, msg_id,
                         links.unsubscribe_link(cfg, out.person_id), answers,
                         phrases.text(out.language, "email_answer"), phrases.text(out.language, "email_unsubscribe"))
    try:
        emailer.send(settings.email, emailer.build(settings.email.sender, mail))
    except emailer.EmailError as exc:
        return Result(error=str(exc), permanent=exc.permanent)
    return Result(msg_id)


def _push(cfg: Config, out: Outgoing) -> Result:
    if not out.push:
        return Result(error="no push subscription", permanent=True)
    question = QUESTIONS.get(out.question or "")
    payload: dict[str, object] = {
        "title": f"{cfg.org_name}: {out.title}", "body": out.body, "tag": f"broadcast-{out.broadcast_id}",
        "delivery": out.delivery_id, "lang": out.language,
        "actions": [{"action": a.key, "title": question.label(a.key, out.language),
                     "url": links.reply_link(cfg, out.delivery_id, a.key)} for a in question.answers]
        if question else []}
    contact = f"mailto:{_contact(cfg)}"
    sent, gone, errors = 0, [], []
    for sub in out.push:
        try:
            webpush.send(cfg, sub, payload, contact)
            sent += 1
        except webpush.PushError as exc:
            errors.append(exc)
            if exc.gone:
                gone.append(sub.endpoint)
    if sent:
        return Result(f"push:{sent}", gone=tuple(gone))
    return Result(error="; ".join(str(e) for e in errors), permanent=all(e.permanent for e in errors),
                  rate_limited=any(e.rate_limited for e in errors), gone=tuple(gone))


def _contact(cfg: Config) -> str:
    host = urlsplit(cfg.public_url).hostname or "localhost"
    return f"hotline@{host if '.' in host else host + '.invalid'}"
