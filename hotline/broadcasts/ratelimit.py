"""The provider's rate limits, shared by every worker: a schedule of sending slots per channel in Redis.

One Lua script reads Redis's own clock (so workers on several machines agree on time) and hands
out the next free slots, each `1 / rate` after the one before (the "generic cell rate
algorithm": a token bucket holding one token, kept as the time the next token is due). The
limit is `MARGIN` of the provider's: the provider counts arrivals in any sliding second, and
requests that leave evenly spaced arrive with jitter, so a burst, or pacing at exactly the
limit, would earn 429s.

A taker is told when its slot is, and sleeps until then: no polling, and no herd of threads
asking Redis again each time a token falls due. A worker reserves `batch` slots at once and
hands them to its sending threads one after the other, so Redis sees one request for every
`batch` messages; `batch` stays within the margin (`batch_for`), so even a worker that stalls and
then sends what it holds at once stays under the provider's limit. A worker that dies with
slots in hand leaves a gap of at most `batch` slots. A 429 all the same (`penalise`) moves
the next free slot a moment later, so every worker backs off together rather than each learning
it alone; this worker's slots in hand are dropped too. The moment is short at first, a batch's
worth of slots (the provider's window is full by a message or two of jitter: the gap makes room
for them), and doubles with each 429 that follows without a text taken in between, up to
`MAX_PENALTY` (the provider allows less than we were told). A fixed second for every 429 cost
the broadcast bench a second of sending, ~95 texts, for each of the ~1 in 150 texts that met
jitter (bench/broadcast.py); the bare loop it is measured against waits 50 ms.
"""

from __future__ import annotations

import threading
import time
from collections import deque

from redis import Redis

KEY = "hotline:broadcast:slots:{}"
MARGIN = 0.95
MAX_PENALTY = 1.0  # seconds: the longest pause one 429 causes (the provider counts arrivals per second)
RESERVE = """
local key, interval, n = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local due = tonumber(redis.call('GET', key) or now)
if due < now then due = now end
redis.call('SET', key, tostring(due + n * interval), 'EX', 60)
return tostring(due - now)
"""
PENALTY = """
local t = redis.call('TIME')
local later = tonumber(t[1]) + tonumber(t[2]) / 1000000 + tonumber(ARGV[1])
local due = tonumber(redis.call('GET', KEYS[1]) or later)
if due < later then due = later end
redis.call('SET', KEYS[1], tostring(due), 'EX', 60)
return 1
"""


def batch_for(per_second: float) -> int:
    """Slots to reserve at once: as many as the margin leaves room for in a second (5 at 100 a second)."""
    return max(1, int(per_second * (1 - MARGIN)))


class TokenBucket:
    def __init__(self, redis: Redis, channel: str, per_second: float, batch: int = 1) -> None:
        self.redis, self.key = redis, KEY.format(channel)
        self.interval = 1.0 / (per_second * MARGIN)
        self.batch = max(1, batch)
        self._reserve = redis.register_script(RESERVE)
        self._penalty = redis.register_script(PENALTY)
        self._lock = threading.Lock()
        self._slots: deque[float] = deque()  # time.monotonic() of each slot in hand, in order
        self._strikes = 0  # 429s since the provider last took a text from this worker

    def take(self, deadline: float | None = None) -> bool:
        """Wait for a slot; False if the next one is after `deadline` (time.monotonic()): then it
        stays in hand for the next taker. One taker at a time in a process: the others queue
        here, not on Redis, and so at most `batch` slots are ever in hand, and a process that
        stalls sends at most that many at once when it wakes."""
        with self._lock:
            if not self._slots:
                wait = float(self._reserve(keys=[self.key], args=[self.interval, self.batch]))
                first = time.monotonic() + wait
                self._slots.extend(first + i * self.interval for i in range(self.batch))
            if deadline is not None and self._slots[0] > deadline:
                return False
            wait = self._slots.popleft() - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        return True

    def penalise(self) -> float:
        """The provider said 429: nobody sends on this channel for a moment, longer for each 429
        in a row (see the module's docstring). Returns the pause in seconds."""
        with self._lock:
            self._slots.clear()
            seconds = min(MAX_PENALTY, self.batch * self.interval * 2 ** self._strikes)
            self._strikes += 1
        self._penalty(keys=[self.key], args=[seconds])
        return seconds

    def taken(self) -> None:
        """The provider took a text: the next 429 starts the pauses from the shortest again."""
        self._strikes = 0
