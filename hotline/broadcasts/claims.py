"""Who holds a delivery's claim, and whether they still live.

A sender writes `claimed_by = "<host> <pid> <start>"` with its claims (`start`: its process's
start time, in centiseconds, so a pid used again by another process is not mistaken for it).
A claimer is judged as the job supervision judges a worker (hotline.base.heartbeat):

- on this host: dead when no process has that pid and start time (psutil). Known at once and
  without Redis, so a Redis restart, which empties the heartbeats, never makes a living sender
  look dead;
- on another host: by its heartbeat: dead when the beat of that host and pid is older than
  `heartbeat.KILL_AFTER`, judged only once Redis has answered for longer than that (a Redis
  restarted from its dump holds old beats for a moment). No beat at all says nothing.

What cannot be judged (no `claimed_by`, a host without a beat, Redis down) is not dead: such a
claim is taken again only when its lease has gone stale (hotline.broadcasts.sending.STALE), as
before. So a claim whose sender lives is never taken from it, and one whose sender died is taken
again within seconds (`sending.DEAD_GRACE`), not a minute later.
"""

from __future__ import annotations

import functools
import os
import socket
import time
from collections.abc import Callable, Iterable

import psutil
from redis import Redis
from redis.exceptions import RedisError

from hotline.base import heartbeat


@functools.cache
def _start(pid: int) -> int:
    return int(psutil.Process(pid).create_time() * 100)


def of(pid: int) -> str:
    """The process `pid` of this host as a claimer."""
    return f"{socket.gethostname()} {pid} {_start(pid)}"


def me() -> str:
    """This process as a claimer."""
    return of(os.getpid())


def parse(claimed_by: str | None) -> tuple[str, int, int] | None:
    try:
        host, pid, start = (claimed_by or "").rsplit(" ", 2)
        return host, int(pid), int(start)
    except ValueError:
        return None


def local_alive(pid: int, start: int) -> bool:
    """A process of this host with this pid and start time, not a zombie."""
    try:
        proc = psutil.Process(pid)
        return int(proc.create_time() * 100) == start and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def dead(claimers: Iterable[str], here: str, alive_here: Callable[[int, int], bool],
         beats: list[heartbeat.Beat] | None, now: float) -> set[str]:
    """The claimers known to be dead. `beats`: every node's heartbeats, or None when they cannot
    be trusted now (Redis down, or up for less than KILL_AFTER)."""
    out = set()
    for claimer in set(claimers):
        who = parse(claimer)
        if who is None:
            continue
        host, pid, start = who
        if host == here:
            if not alive_here(pid, start):
                out.add(claimer)
            continue
        beat = next((b for b in beats or () if b.host == host and b.pid == pid), None)
        if beat is not None and now - beat.beat_at > heartbeat.KILL_AFTER:
            out.add(claimer)
    return out


def dead_now(redis: Redis | None, claimers: Iterable[str]) -> set[str]:
    """`dead`, with this host's processes and the heartbeats in Redis as they are now."""
    claimers = set(claimers)
    here = socket.gethostname()
    beats = None
    if redis is not None and any((parse(c) or (here,))[0] != here for c in claimers):
        try:
            if int(redis.info("server").get("uptime_in_seconds", 0)) > heartbeat.KILL_AFTER:
                beats = heartbeat.read(redis)
        except (RedisError, OSError):
            beats = None
    return dead(claimers, here, local_alive, beats, time.time())
