"""Text messages after an acceptance: a summary for the acceptor, a reassurance for the caller.

The caller gets one only when their number can receive SMS, judged by `phonenumbers`'
number type (mobile, or fixed-line-or-mobile where a region cannot tell). Every message,
sent or failed, is in the audit timeline.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

import phonenumbers
from phonenumbers import PhoneNumberType

from hotline.models import Incident

TEXTABLE = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


def can_receive_sms(number: str | None) -> bool:
    if not number:
        return False
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(parsed) and phonenumbers.number_type(parsed) in TEXTABLE


def acceptor_summary(org: str, type_name: str, incidents: Sequence[Incident]) -> str:
    first = incidents[0]
    refs = ", ".join(i.ref or str(i.id) for i in incidents[:10]) + (" ..." if len(incidents) > 10 else "")
    callback = next((i.callback_number for i in incidents if i.callback_number), None)
    what = f"{len(incidents)} {type_name} reports ({refs})" if len(incidents) > 1 else \
        f"{type_name} report {first.ref or first.id}"
    severity = "DANGER, " if any(i.severity == "danger" for i in incidents) else ""
    return (f"{org} hotline: you accepted {severity}{what}. "
            f"Caller callback number: {callback or 'none given'}.")


def caller_notice(incident: Incident, accepted_at: datetime, timezone: str) -> str:
    at = accepted_at.astimezone(ZoneInfo(timezone)).strftime("%H:%M")
    return f"Your report {incident.ref or incident.id} was accepted by the on-call team at {at}."
