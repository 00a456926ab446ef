"""URLs Twilio is given for a callout call, and the unguessable links to a caller's recording.

Every responder webhook carries the attempt id (`a`) in its query string, so a status
callback that arrives before we have stored the CallSid still finds its attempt.

Twilio does not sign <Play> media fetches, so recordings are served outside /voice under
an HMAC of the recording id keyed with the auth token: knowing one link reveals no other.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlencode

from hotline.base.config import Config


def webhook(cfg: Config, name: str, attempt_id: int, **query: object) -> str:
    params = {"a": str(attempt_id), **{k: str(v) for k, v in query.items()}}
    return f"{cfg.public_url}/voice/callout/{name}?{urlencode(params)}"


def recording_token(cfg: Config, recording_id: int) -> str:
    key = (cfg.twilio.auth_token or "no-token").encode()
    return hmac.new(key, f"callout-recording:{recording_id}".encode(), hashlib.sha256).hexdigest()[:32]


def recording_url(cfg: Config, recording_id: int) -> str:
    return f"{cfg.public_url}/media/recording/{recording_id}/{recording_token(cfg, recording_id)}.wav"


def token_valid(cfg: Config, recording_id: int, token: str) -> bool:
    return hmac.compare_digest(recording_token(cfg, recording_id), token)
