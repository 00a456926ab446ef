"""What every RQ worker of ours shares: it stops within about a second of being asked.

An rq worker listens for stop and kill commands on a pub/sub channel, in a thread whose reads
block for up to 60 s (rq 3's `sleep_time`). On a warm shutdown rq unsubscribes, which usually
wakes that read at once; when the reply does not wake it, `Worker.unsubscribe` waits out the rest
of the 60 s read before the worker exits (rq issue #2201, "warm shutdown of worker with scheduler
takes minutes"). Our workers read with a 1 s timeout instead, so a SIGTERM (run.py stopping or
restarting a child, systemd, a test) ends the worker once its current job is done, not a minute
later. The cost is one idle wake-up a second per worker.
"""

from __future__ import annotations

from rq.worker import Worker

PUBSUB_READ_SECONDS = 1.0


class PromptStopWorker(Worker):
    """rq's Worker whose command listener reads with a short timeout (see the module docstring).
    Put it before rq's own class in the bases (`class W(PromptStopWorker, SimpleWorker)`)."""

    def subscribe(self) -> None:
        """As rq's `Worker.subscribe`, with PUBSUB_READ_SECONDS instead of 60 s per read."""
        self.log.info("Worker %s: subscribing to channel %s", self.name, self.pubsub_channel_name)
        self.pubsub = self.connection.pubsub()
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        # rq initialises the attribute to None without a wider annotation; it holds this thread, as in rq
        self.pubsub_thread = self.pubsub.run_in_thread(  # type: ignore[assignment]
            sleep_time=PUBSUB_READ_SECONDS, daemon=True, exception_handler=self._pubsub_exception_handler)
