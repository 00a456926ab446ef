"""The provider's rate limits, shared by every worker: a token bucket per channel in Redis.

One Lua script refills the bucket from Redis's own clock (so workers on several machines agree
on time) and takes a token, or says how long until one is due, atomically. The bucket holds one
token and refills at `MARGIN` of the limit: the provider counts arrivals in any sliding second,
and requests that leave evenly spaced arrive with jitter, so a burst, or pacing at exactly the
limit, would earn 429s. A 429 all the same (`penalise`) empties the bucket for a moment, so every
worker backs off together rather than each learning it alone.
"""

from __future__ import annotations

import time

from redis import Redis

KEY = "hotline:broadcast:bucket:{}"
MARGIN = 0.95
TAKE = """
local key, rate, burst = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local tokens = tonumber(redis.call('HGET', key, 'tokens') or burst)
local at = tonumber(redis.call('HGET', key, 'at') or now)
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', key, 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('EXPIRE', key, 60)
return tostring(wait)
"""
PENALTY = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('HSET', KEYS[1], 'tokens', tostring(-tonumber(ARGV[1]) * tonumber(ARGV[2])), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], 60)
return 1
"""


class TokenBucket:
    def __init__(self, redis: Redis, channel: str, per_second: float) -> None:
        self.redis, self.key, self.rate = redis, KEY.format(channel), per_second * MARGIN
        self.burst = 1.0
        self._take = redis.register_script(TAKE)
        self._penalty = redis.register_script(PENALTY)

    def try_take(self) -> float:
        """0.0 if a token was taken; else the seconds until one will be there (nothing taken)."""
        return float(self._take(keys=[self.key], args=[self.rate, self.burst]))

    def take(self, deadline: float | None = None) -> bool:
        """Wait for a token; False if none came before `deadline` (time.monotonic())."""
        while True:
            wait = self.try_take()
            if wait <= 0:
                return True
            if deadline is not None and time.monotonic() + wait > deadline:
                return False
            time.sleep(min(wait, 1.0))

    def penalise(self, seconds: float = 1.0) -> None:
        """The provider said 429: nobody sends on this channel for about `seconds`."""
        self._penalty(keys=[self.key], args=[seconds, self.rate])
