"""What the broadcast commands ask to happen after their transaction commits."""

from __future__ import annotations

from dataclasses import dataclass

from hotline.base.jobs import Followup


@dataclass(frozen=True)
class SendDue(Followup):
    """Deliveries on this channel are due: start its senders now rather than at the next cycle."""

    channel: str
