"""The broadcasts' part in the SMS channel (`hotline.base.registry.TextHandler`): a text from a
number with an open question that reads as an answer is that person's answer; a responder's
"1 1012" accepts report 1012 through paging's commands, the sender matched to a `[people]` phone.

A text that is neither is not ours (None), so it goes on to the next handler (a report by SMS):
a message that might be a report is never swallowed as a garbled answer. What a command asks to
happen after commit (a page, a close-out) goes back in the reply, for the SMS channel to dispatch
after its commit. STOP and START (Twilio's opt-out keywords, which Twilio answers itself) are
kept here first, so no broadcast texts a number that opted out.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.base.lifecycle import Actor, Channel
from hotline.base.models import Incident
from hotline.base.registry import InboundText, TextReply
from hotline.base.runtime import get_runtime
from hotline.broadcasts import commands, optouts, phrases
from hotline.broadcasts.questions import QUESTIONS, read_reply
from hotline.paging import commands as paging

ACCEPT = re.compile(r"^\s*(?:1|accept|ok|接受)\s*[#:,]?\s*(\d{3,9})\s*$", re.IGNORECASE)
ACCEPT_WORDS = {
    "en-US": {"accepted": "You accepted report {ref}. Call the hotline to hear it.",
              "taken": "Report {ref} is already taken ({who}).", "unknown": "There is no report {ref}."},
    "zh-TW": {"accepted": "您已接受通報 {ref}，請撥打專線聽取內容。", "taken": "通報 {ref} 已由他人處理（{who}）。",
              "unknown": "查無通報 {ref}。"},
}


# Twilio's default keywords on a long code, alone in the message (its "support for opt-out
# keywords" article); the webhook still receives them, with OptOutType when Advanced Opt-Out is on.
OPT_OUT = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
OPT_IN = frozenset({"START", "YES", "UNSTOP"})


def opt_out(s: Session, text: InboundText) -> TextReply | None:
    """STOP: no broadcast texts this number again; START: it may. Twilio has answered the sender
    already (and would not deliver ours after a STOP), so the reply is empty."""
    word = text.body.strip().upper()
    if word in OPT_OUT:
        optouts.record(s, text.sender, "sms STOP")
        return TextReply(None)
    if word in OPT_IN:
        optouts.forget(s, text.sender)
        return TextReply(None)
    return None


def answer(s: Session, text: InboundText) -> TextReply | None:
    """A reply to a broadcast's question ("1", "2 help", "safe", "平安") from its recipient."""
    recipient = commands.open_question_for(s, text.sender)
    if recipient is None:
        return None
    b_question = s.scalar(select(commands.Broadcast.question).where(commands.Broadcast.id == recipient.broadcast_id))
    question = QUESTIONS.get(b_question or "")
    found = read_reply(question, text.body) if question else None
    if found is None or question is None:
        return None
    out = commands.reply(s, recipient.id, found.key, "sms", get_runtime().config)
    if out.code == "unchanged" or not out.ok:
        return TextReply(phrases.thanks(question, found.key, recipient.language)) if out.code == "unchanged" else None
    return TextReply(phrases.thanks(question, found.key, recipient.language), then=out.then)


def accept(s: Session, text: InboundText) -> TextReply | None:
    """"1 1012" from a responder's phone: they accept report 1012 (and its callout), as if they had
    pressed 1 on the call."""
    m = ACCEPT.match(text.body)
    cfg = get_runtime().config
    person = next((p for p in cfg.people.values() if p.phone == text.sender), None) if m else None
    if m is None or person is None:
        return None
    lang = next((lang for lang in person.languages if lang in ACCEPT_WORDS), "en-US")
    words: dict[str, Any] = ACCEPT_WORDS[lang]
    ref = m.group(1)
    incident_id = s.scalar(select(Incident.id).where(Incident.ref == ref))
    if incident_id is None:
        return TextReply(words["unknown"].format(ref=ref))
    out = paging.accept(s, person=person.key, name=person.name, actor=Actor(person.key, Channel.SMS),
                        incident_id=incident_id)
    if not out.ok:
        who = cfg.people[out.accepted_by].name if out.accepted_by in cfg.people else (out.accepted_by or out.code)
        return TextReply(words["taken"].format(ref=ref, who=who))
    return TextReply(words["accepted"].format(ref=ref), then=out.then)
