"""Plain records the simulator keeps: calls, numbers, recordings, messages.

All mutation happens under the simulator's single condition lock; these classes hold no
locks of their own.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from sim.callstate import CallStatus

API_VERSION = "2010-04-01"


def new_sid(prefix: str) -> str:
    """Twilio-shaped SID: two-letter prefix and 32 hex digits."""
    return prefix + secrets.token_hex(16)


def rfc2822(epoch: float | None) -> str | None:
    """Timestamp format Twilio uses in REST resources and callback `Timestamp`."""
    if epoch is None:
        return None
    return format_datetime(datetime.fromtimestamp(epoch, tz=UTC))


@dataclass
class Number:
    """An incoming phone number as configured in Twilio's console / IncomingPhoneNumbers."""

    phone_number: str
    voice_url: str | None
    voice_method: str = "POST"
    voice_fallback_url: str | None = None
    voice_fallback_method: str = "POST"
    status_callback: str | None = None
    status_callback_method: str = "POST"
    sms_url: str | None = None
    sid: str = field(default_factory=lambda: new_sid("PN"))

    def to_json(self) -> dict[str, Any]:
        return {
            "sid": self.sid,
            "phone_number": self.phone_number,
            "voice_url": self.voice_url,
            "voice_method": self.voice_method,
            "voice_fallback_url": self.voice_fallback_url,
            "voice_fallback_method": self.voice_fallback_method,
            "status_callback": self.status_callback,
            "status_callback_method": self.status_callback_method,
            "sms_url": self.sms_url,
        }


@dataclass
class Clip:
    """Audio the remote party says: 8 kHz mono 16-bit WAV bytes and their length."""

    wav: bytes
    duration: float
    name: str = ""


@dataclass
class Recording:
    sid: str
    account_sid: str
    call_sid: str
    wav: bytes
    duration: int
    start_time: float
    source: str = "RecordVerb"
    status: str = "completed"

    def to_json(self, base_uri: str, media_url: str | None = None) -> dict[str, Any]:
        """The Recording resource's fields; `media_url` is where the audio is (no extension: WAV)."""
        return {
            "sid": self.sid,
            "account_sid": self.account_sid,
            "call_sid": self.call_sid,
            "conference_sid": None,
            "api_version": API_VERSION,
            "channels": 1,
            "duration": str(self.duration),
            "date_created": rfc2822(self.start_time),
            "date_updated": rfc2822(self.start_time + self.duration),
            "start_time": rfc2822(self.start_time),
            "price": None,
            "price_unit": "USD",
            "source": self.source,
            "status": self.status,
            "error_code": None,
            "encryption_details": None,
            "media_url": media_url,
            "uri": f"{base_uri}/{self.sid}.json",
            "subresource_uris": {
                "add_on_results": f"{base_uri}/{self.sid}/AddOnResults.json",
                "transcriptions": f"{base_uri}/{self.sid}/Transcriptions.json",
            },
        }


@dataclass
class Message:
    sid: str
    account_sid: str
    to: str
    from_: str
    body: str
    created: float
    status: str = "queued"
    direction: str = "outbound-api"
    status_callback: str | None = None
    media_urls: list[str] = field(default_factory=list)
    messaging_service_sid: str | None = None
    error_code: int | None = None  # undelivered/failed: why (sim/delivery.py)

    def to_json(self) -> dict[str, Any]:
        return {
            "sid": self.sid,
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "to": self.to,
            "from": self.from_,
            "body": self.body,
            "status": self.status,
            "direction": self.direction,
            "num_segments": "1",
            "num_media": str(len(self.media_urls)),
            "messaging_service_sid": self.messaging_service_sid,
            "date_created": rfc2822(self.created),
            "date_updated": rfc2822(self.created),
            "date_sent": rfc2822(self.created),
            "error_code": self.error_code,
            "error_message": None,
            "price": None,
            "price_unit": "USD",
            "uri": f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{self.sid}.json",
            "subresource_uris": {
                "media": f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{self.sid}/Media.json"
            },
        }


@dataclass
class CallOptions:
    """What the creator asked for: Calls.create parameters, number config or <Dial><Number> attributes."""

    url: str | None = None
    method: str = "POST"
    twiml: str | None = None
    fallback_url: str | None = None
    fallback_method: str = "POST"
    status_callback: str | None = None
    status_callback_method: str = "POST"
    status_callback_events: frozenset[str] = frozenset({"completed"})
    timeout: int = 60
    machine_detection: str | None = None
    async_amd: bool = False
    async_amd_callback: str | None = None
    async_amd_method: str = "POST"
    record: bool = False
    recording_status_callback: str | None = None
    recording_status_callback_method: str = "POST"
    recording_status_callback_events: frozenset[str] = frozenset({"completed"})
    send_digits: str | None = None
    time_limit: int = 14400


@dataclass
class Call:
    sid: str
    account_sid: str
    from_: str
    to: str
    direction: str  # inbound | outbound-api | outbound-dial
    created: float
    options: CallOptions
    parent_sid: str | None = None
    phone_number_sid: str | None = None
    status: CallStatus = CallStatus.QUEUED
    start_time: float | None = None
    end_time: float | None = None
    answered_by: str | None = None
    updated: float | None = None
    # -- runtime state, written by the remote party, the REST layer and the runner -------
    inputs: list[tuple[str, Any]] = field(default_factory=list)  # ("dtmf", "1") / ("audio", Clip)
    remote_hangup: bool = False
    answer_requested: bool = False
    decline_requested: bool = False
    cancel_status: CallStatus | None = None  # set by REST update / Dial parent: end as this
    pending_redirect: tuple[str | None, str, str | None] | None = None  # (url, method, twiml)
    status_seq: int = 0
    input_count: int = 0  # keys/speech received so far; a TwiML loop with input is not a runaway
    secret_input: bool = False  # inside a secret <Gather> (a PIN): its digits are masked in every event
    events: list[dict[str, Any]] = field(default_factory=list)
    spoken: list[Clip] = field(default_factory=list)  # everything the remote said, for Record=true
    recording_sids: list[str] = field(default_factory=list)

    @property
    def duration(self) -> int:
        if self.start_time is None:
            return 0
        end = self.end_time if self.end_time is not None else self.start_time
        return int(round(end - self.start_time))

    def to_json(self) -> dict[str, Any]:
        base = f"/{API_VERSION}/Accounts/{self.account_sid}/Calls/{self.sid}"
        return {
            "sid": self.sid,
            "date_created": rfc2822(self.created),
            "date_updated": rfc2822(self.updated or self.created),
            "parent_call_sid": self.parent_sid,
            "account_sid": self.account_sid,
            "to": self.to,
            "to_formatted": self.to,
            "from": self.from_,
            "from_formatted": self.from_,
            "phone_number_sid": self.phone_number_sid,
            "status": self.status.value,
            "start_time": rfc2822(self.start_time),
            "end_time": rfc2822(self.end_time),
            "duration": str(self.duration) if self.end_time is not None else None,
            "price": None,
            "price_unit": "USD",
            "direction": self.direction,
            "answered_by": self.answered_by,
            "api_version": API_VERSION,
            "forwarded_from": None,
            "group_sid": None,
            "caller_name": None,
            "queue_time": "0",
            "trunk_sid": None,
            "uri": base + ".json",
            "subresource_uris": {
                "recordings": base + "/Recordings.json",
                "notifications": base + "/Notifications.json",
                "events": base + "/Events.json",
            },
        }
