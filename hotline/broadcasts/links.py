"""Where a broadcast's messages point: the provider's callbacks (signed by Twilio) and the links
in an email or push message (signed by us, so a reply link cannot be forged or pointed at
someone else's answer; single use is kept on the delivery row, `Delivery.link_used_at`)."""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeSerializer

from hotline.base.config import Config
from hotline.web.keys import secret_key

REPLY_SALT = "broadcast-reply"
UNSUBSCRIBE_SALT = "broadcast-unsubscribe"
PUSH_SALT = "push-enrol"


def hook(cfg: Config, what: str, delivery_id: int) -> str:
    """`sms-status`, or a voice hook `answer`, `key`, `status`, for one delivery."""
    if what == "sms-status":
        return f"{cfg.public_url}/sms/status?d={delivery_id}"
    return f"{cfg.public_url}/voice/broadcast/{what}?d={delivery_id}"


def _signer(cfg: Config, salt: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key(cfg), salt=salt)


def reply_link(cfg: Config, delivery_id: int, answer: str) -> str:
    return f"{cfg.public_url}/b/r/{_signer(cfg, REPLY_SALT).dumps([delivery_id, answer])}"


def read_reply_token(cfg: Config, token: str) -> tuple[int, str] | None:
    try:
        delivery_id, answer = _signer(cfg, REPLY_SALT).loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    return (delivery_id, answer) if isinstance(delivery_id, int) and isinstance(answer, str) else None


def unsubscribe_link(cfg: Config, person_id: int) -> str:
    return f"{cfg.public_url}/b/unsubscribe/{_signer(cfg, UNSUBSCRIBE_SALT).dumps(person_id)}"


def read_unsubscribe_token(cfg: Config, token: str) -> int | None:
    try:
        person_id = _signer(cfg, UNSUBSCRIBE_SALT).loads(token)
    except BadSignature:
        return None
    return person_id if isinstance(person_id, int) else None


def push_enrol_token(cfg: Config, person_id: int) -> str:
    """What a device presents to subscribe to web push for a directory person (the console makes
    one for its logged-in user; the reporting app may be given one when a device is enrolled)."""
    return _signer(cfg, PUSH_SALT).dumps(person_id)


def read_push_enrol_token(cfg: Config, token: str) -> int | None:
    try:
        person_id = _signer(cfg, PUSH_SALT).loads(token)
    except BadSignature:
        return None
    return person_id if isinstance(person_id, int) else None
