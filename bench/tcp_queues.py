"""Where a webhook waits outside gunicorn's own timing, seen in the kernel's TCP queues.

    bench/storm.py --sample-queues starts it: bench.tcp_queues.main([PORT, OUT]) in a process of its own

Samples /proc/net/tcp every 20 ms (a separate process, so it adds nothing to the GIL of
the process it measures) and writes one line per sample to OUT: the time, the listen socket's
accept queue (connections the kernel took that no worker has accepted yet), server-side
connections with request bytes no worker thread has read yet (those in the accept queue too),
and client-side connections with response bytes their caller has not read yet (the load
generator is late to read its answer). The sum of a count over the samples, times their interval,
is the total time requests spent in that state (Little's law), which `waits` divides by the
number of requests. Gunicorn's access log times a request from its parsing to its answer, so
these are the parts it cannot see; the generator's own time before it sends is the remainder.
"""

from __future__ import annotations

import time
from pathlib import Path

INTERVAL = 0.02
LISTEN, ESTABLISHED = "0A", "01"


def sample(port: int) -> tuple[int, int, int]:
    """(accept queue, server sockets with unread request bytes, client sockets with unread response bytes)."""
    suffix = f":{port:04X}"
    accept = server = client = 0
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split(None, 5)
            local, remote, state, queues = fields[1], fields[2], fields[3], fields[4]
            unread = int(queues.partition(":")[2], 16)
            if local.endswith(suffix):
                if state == LISTEN:
                    accept = unread
                elif state == ESTABLISHED and unread:
                    server += 1
            elif remote.endswith(suffix) and state == ESTABLISHED and unread:
                client += 1
    return accept, server, client


def waits(samples: Path, start: float, end: float) -> dict[str, float]:
    """Seconds of waiting summed over all requests between `start` and `end` (time.time()), by state,
    and the longest accept queue seen."""
    rows = [tuple(float(x) for x in line.split()) for line in samples.read_text().splitlines() if line.strip()]
    rows = [r for r in rows if start <= r[0] <= end]
    totals = {"accept_queue_s": 0.0, "unread_request_s": 0.0, "unread_response_s": 0.0, "max_accept_queue": 0.0}
    for before, after in zip(rows, rows[1:], strict=False):
        dt = after[0] - before[0]
        totals["accept_queue_s"] += (before[1] + after[1]) / 2 * dt
        totals["unread_request_s"] += (before[2] + after[2]) / 2 * dt
        totals["unread_response_s"] += (before[3] + after[3]) / 2 * dt
        totals["max_accept_queue"] = max(totals["max_accept_queue"], before[1])
    return totals


def main(argv: list[str]) -> None:
    port, out = int(argv[0]), Path(argv[1])
    with out.open("w", buffering=1) as f:
        while True:
            accept, server, client = sample(port)
            f.write(f"{time.time():.4f} {accept} {server} {client}\n")
            time.sleep(INTERVAL)
