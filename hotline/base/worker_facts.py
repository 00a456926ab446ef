"""What each RQ worker has loaded, told by the worker itself, for the health page to show.

RQ records a worker's queues and state but not what a worker carries, such as the Vosk models
a transcription worker preloaded. Each worker writes a small JSON fact sheet into one Redis hash
at start-up; readers keep only the sheets of workers RQ still lists, so a dead worker's sheet
is ignored (and pruned) rather than trusted.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterable
from typing import Any

from redis import Redis

KEY = "hotline:worker-facts"


def publish(redis: Redis, worker_name: str, **facts: Any) -> None:
    sheet = {"host": socket.gethostname(), "pid": os.getpid(), **facts}
    redis.hset(KEY, worker_name, json.dumps(sheet))


def read(redis: Redis, live_names: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The sheets of the workers in `live_names`; sheets of any other worker are deleted."""
    live = set(live_names)
    sheets = {k.decode() if isinstance(k, bytes) else k: v for k, v in redis.hgetall(KEY).items()}
    stale = [name for name in sheets if name not in live]
    if stale:
        redis.hdel(KEY, *stale)
    return {name: json.loads(v) for name, v in sheets.items() if name in live}
