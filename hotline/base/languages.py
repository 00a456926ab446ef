"""Which language to speak to someone: the first of theirs that we have sentences for.

Every channel that speaks (the responder's call, the crisis team's, the caller's IVR) keeps its
own sentence tables; this picks from them the same way, so a person never hears a missing-text
error because the hotline takes reports in a language nobody has written sentences for yet.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence


def pick_language(preferred: Sequence[str], hotline: Sequence[str], known: Collection[str], fallback: str) -> str:
    """The first of `preferred` the hotline speaks and `known` has; else the hotline's first
    language that `known` has; else `fallback`."""
    spoken = [lang for lang in hotline if lang in known]
    return next((lang for lang in preferred if lang in spoken), spoken[0] if spoken else fallback)
