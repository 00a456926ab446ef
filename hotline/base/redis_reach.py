"""Whether Redis answered this process moments ago, so a Redis that does not answer is paid for
once, not once per call.

A frozen or partitioned Redis accepts connections and never replies: each call waits out the
client's socket timeout (`hotline.base.runtime.REDIS_TIMEOUT`), where a dead one refuses at once.
So once a call *timed out*, this process leaves Redis alone for `UNREACHABLE_FOR` and fails at once
(`RedisUnreachable`): the queue (`hotline.base.jobs`) and the PIN and login throttles
(`hotline.base.lockout`) then fall back straight away, as they do for a refusal. A refusal or an
error reply trips nothing: that answer came at once, so trying again costs nothing.
"""

from __future__ import annotations

import time

from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

UNREACHABLE_FOR = 5.0  # seconds this process leaves Redis alone after a call timed out
_unreachable_until = 0.0  # time.monotonic(); per process (a forked child starts with its parent's)


class RedisUnreachable(RedisError):
    """Redis did not answer this process's call moments ago: not tried again until
    `UNREACHABLE_FOR` has passed (the caller falls back as for any Redis failure)."""


def check_reachable() -> None:
    """Raise RedisUnreachable while Redis is known, from a call moments ago, not to answer."""
    if time.monotonic() < _unreachable_until:
        raise RedisUnreachable(f"Redis did not answer moments ago; not tried again for {UNREACHABLE_FOR:.0f} s")


def note_failure(exc: BaseException) -> None:
    """After a failed call: a Redis that timed out is left alone for `UNREACHABLE_FOR`."""
    global _unreachable_until
    if isinstance(exc, (RedisTimeoutError, TimeoutError)):
        _unreachable_until = time.monotonic() + UNREACHABLE_FOR


def reachable_now() -> None:
    """Forget a timeout (a test that thawed its Redis and goes on in the same process)."""
    global _unreachable_until
    _unreachable_until = 0.0
