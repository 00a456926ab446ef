"""Reports by SMS, the last handler of the SMS channel (`hotline.base.registry.TextHandler`):
whatever no other feature claims (a broadcast answer, a responder's "1 1012", STOP) is, or joins,
a report. First law: the first text is an incident at once, through paging's report command, and
its paging is due after the menu's wait whether or not the sender ever picks a type. A sender over
their allowance (`[text_reports]`, `ratelimit`) is still heard: the text joins their report's
timeline, but opens no new report and gets no answer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.base.lifecycle import Actor, Channel
from hotline.base.models import Incident, utcnow
from hotline.base.registry import InboundText, TextReply
from hotline.base.runtime import get_runtime
from hotline.base.states import IncidentStatus
from hotline.paging import commands as paging
from hotline.textreports import ratelimit
from hotline.textreports.conversation import HELP_WORDS, MENU_WAIT_SECONDS, WINDOW, language_of, menu, menu_choice
from hotline.textreports.followups import FetchPhoto
from hotline.textreports.models import CONVERSATION, Stage, TextConversation, TextMedia
from hotline.textreports.phrases import say
from hotline.textreports.settings import TextReportSettings


def _codes() -> dict[str, str]:
    """Digit -> type, the caller's first IVR menu (read once by the web app from `ivr_flows/`)."""
    if has_app_context() and current_app.config.get("TYPE_CODES"):
        return dict(current_app.config["TYPE_CODES"])
    types = get_runtime().config.incident_types
    return {str(i): key for i, key in enumerate(types, start=1) if i < 10}


def current(s: Session, sender: str, now: datetime) -> TextConversation | None:
    """The sender's conversation a new text joins: not ended, recent, its report still open."""
    row = s.scalar(select(TextConversation).where(TextConversation.sender == sender,
                                                  TextConversation.stage != Stage.ENDED)
                   .order_by(TextConversation.id.desc()).limit(1))
    if row is None:
        return None
    status = s.scalar(select(Incident.status).where(Incident.id == row.incident_id))
    if row.last_at < now - WINDOW or status in (None, IncidentStatus.CLOSED):
        CONVERSATION.move(s, row.id, Stage.ENDED, now=now, actor=sender)
        return None
    return row


def handle(s: Session, text: InboundText) -> TextReply:
    cfg = get_runtime().config
    now = utcnow()
    number = text.to or cfg.numbers[0]
    found = current(s, text.sender, now)
    if not ratelimit.take(s, text.sender, now, cfg.section(TextReportSettings)):
        over = _over_limit(s, text, found, now)
        if over is not None:
            return over
    lang = found.language if found else language_of(text.body, cfg.languages)
    if text.body.strip().upper() in HELP_WORDS and not text.media:
        return TextReply(say(lang, "help", number=number))
    actor = Actor(text.sender, Channel.SMS)
    codes = _codes()

    def menu_text() -> str:
        return menu(codes, lambda key: cfg.type_name(key, lang), lang)

    if found is None:
        return _open(s, text, lang, actor, menu_text(), number, now)
    ref = s.scalar(select(Incident.ref).where(Incident.id == found.incident_id)) or str(found.incident_id)
    choice = menu_choice(text.body, codes) if found.stage == Stage.MENU and not text.media else None
    if choice is not None:
        out = paging.reclassify(s, found.incident_id, choice, actor, now)
        CONVERSATION.move(s, found.id, Stage.CLASSIFIED, now=now, actor=text.sender, type=choice)
        _keep(s, found, text, now)
        if out.ok:
            return TextReply(say(lang, "classified", ref=ref, type=cfg.type_name(choice, lang)), then=out.then)
        return TextReply(say(lang, "added", ref=ref))
    photos = _keep(s, found, text, now)
    paging.add_note(s, found.incident_id, actor, _note(text))
    key = "added_menu" if found.stage == Stage.MENU else "added"
    return TextReply(say(lang, key, ref=ref, menu=menu_text() if key == "added_menu" else ""), then=photos)


def _over_limit(s: Session, text: InboundText, found: TextConversation | None, now: datetime) -> TextReply | None:
    """Over the sender's allowance: the text is kept (its words on the timeline, its photos
    fetched) on their current report, else their latest one even if closed, but opens nothing and
    is not answered. None only for a sender with no report at all, whose text is then a report."""
    row = found or s.scalar(select(TextConversation).where(TextConversation.sender == text.sender)
                            .order_by(TextConversation.id.desc()).limit(1))
    if row is None:
        return None
    photos = _keep(s, row, text, now)
    paging.add_note(s, row.incident_id, Actor(text.sender, Channel.SMS), _note(text, over_limit=True))
    return TextReply(None, then=photos)


def _open(s: Session, text: InboundText, lang: str, actor: Actor, menu_text: str, number: str,
          now: datetime) -> TextReply:
    out = paging.report(s, call_sid=text.sid, type_key="unclassified", lang=lang, caller=text.sender, actor=actor,
                        record_max_seconds=MENU_WAIT_SECONDS - int(paging.GRACE_MARGIN.total_seconds()),
                        now=now, source="sms")
    incident_id = out.incident_ids[0]
    conversation = TextConversation(sender=text.sender, number=number, incident_id=incident_id, language=lang,
                                    stage=Stage.MENU, texts=[], opened_at=now, last_at=now)
    s.add(conversation)
    s.flush()
    photos = _keep(s, conversation, text, now)
    paging.add_note(s, incident_id, actor, _note(text))
    ref = s.scalar(select(Incident.ref).where(Incident.id == incident_id)) or str(incident_id)
    return TextReply(say(lang, "received", ref=ref, menu=menu_text, number=number), then=(*out.then, *photos))


def _entry(text: InboundText, now: datetime) -> dict[str, Any]:
    return {"at": now.isoformat(), "body": text.body[:1600], "media": list(text.media)}


def _keep(s: Session, row: TextConversation, text: InboundText, now: datetime) -> tuple[FetchPhoto, ...]:
    """The text joins its conversation; each photo gets its row at once (fetched after the commit)."""
    row.texts = [*row.texts, _entry(text, now)]
    row.last_at = now
    media = [TextMedia(incident_id=row.incident_id, conversation_id=row.id, url=url[:500], created_at=now)
             for url in text.media]
    s.add_all(media)
    s.flush()
    return tuple(FetchPhoto(m.id) for m in media)


def _note(text: InboundText, over_limit: bool = False) -> str:
    # Not the provider's MediaUrl: it needs the account's credentials, so nobody could open it, and
    # the photo is shown with the conversation once it is fetched into the recordings store.
    count = len(text.media)
    photos = f" ({count} photo{'s' if count > 1 else ''}, shown with the conversation)" if count else ""
    limited = " (over the sender's rate limit: kept, not answered)" if over_limit else ""
    return f"Text from {text.sender}{limited}: {text.body.strip() or '(no text)'}{photos}"
