"""What a report by text asks to happen after its transaction commits (`hotline.base.jobs`)."""

from __future__ import annotations

from dataclasses import dataclass

from hotline.base.jobs import Followup


@dataclass(frozen=True)
class FetchPhoto(Followup):
    """Bring an MMS's photo from the provider into the recordings store."""

    media_id: int
