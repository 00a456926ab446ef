"""Text messages after an acceptance: a summary for the acceptor, a reassurance for the caller.

The caller gets one only when their number can receive SMS, judged by `phonenumbers`'
number type (mobile, or fixed-line-or-mobile where a region cannot tell). Every message,
sent or failed, is in the audit timeline. The acceptor reads theirs in their own language, the
caller in the language they chose on the hotline (`Incident.language`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

import phonenumbers
from phonenumbers import PhoneNumberType

from hotline.base.models import Incident
from hotline.paging.callout.phrases import text

TEXTABLE = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


def can_receive_sms(number: str | None) -> bool:
    if not number:
        return False
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(parsed) and phonenumbers.number_type(parsed) in TEXTABLE


def incident_link(public_url: str, incident_id: int) -> str:
    """The console's page of an incident; a responder opening it from the SMS logs in first."""
    return f"{public_url.rstrip('/')}/console/incidents/{incident_id}"


def acceptor_summary(org: str, type_name: str, incidents: Sequence[Incident], lang: str,
                     link: str | None = None) -> str:
    """`type_name` must already be in `lang`; `link` (the first incident's page) goes at the end."""
    return _summary(org, type_name, incidents, lang) + (text(lang, "sms_link", url=link) if link else "")


def _summary(org: str, type_name: str, incidents: Sequence[Incident], lang: str) -> str:
    callback = next((i.callback_number for i in incidents if i.callback_number), None) or text(lang, "sms_no_callback")
    danger = text(lang, "sms_danger") if any(i.severity == "danger" for i in incidents) else ""
    if len(incidents) == 1:
        first = incidents[0]
        return text(lang, "sms_acceptor_one", org=org, danger=danger, type=type_name, ref=first.ref or first.id,
                    callback=callback)
    refs = ", ".join(i.ref or str(i.id) for i in incidents[:10]) + (" ..." if len(incidents) > 10 else "")
    return text(lang, "sms_acceptor_many", org=org, danger=danger, count=len(incidents), type=type_name, refs=refs,
                callback=callback)


def caller_notice(incident: Incident, accepted_at: datetime, timezone: str, lang: str) -> str:
    at = accepted_at.astimezone(ZoneInfo(timezone)).strftime("%H:%M")
    return text(lang, "sms_caller", ref=incident.ref or incident.id, time=at)
