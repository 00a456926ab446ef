"""Which <Say> voice speaks which language, as Twilio documents it; any other pair fails.

Twilio: the default voice is `man` (language en-US), each voice speaks its own set of languages,
and "using an invalid combination of voice and language may result in error and <Say>
instruction failure". The sim takes the strict reading: such a <Say> plays nothing and the call
log gets Twilio's warning 13511 ("Say: Invalid voice value"), so an app that forgets the voice
for a language `man` does not speak fails its tests here rather than on a real number.

The table is Twilio's, kept as data in `sim/twilio_voices.toml` (only its [languages] is read).
"""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path

WARN_INVALID_VOICE = 13511
DEFAULT_VOICE = "man"
DEFAULT_LANGUAGE = "en-US"


@functools.cache
def _pairs() -> frozenset[tuple[str, str]]:
    raw = tomllib.loads(Path(__file__).with_name("twilio_voices.toml").read_text(encoding="utf-8"))
    return frozenset((voice.lower(), lang.lower()) for lang, voices in raw["languages"].items() for voice in voices)


def problem(voice: str, language: str) -> str | None:
    """Why Twilio would not speak `voice` in `language`, or None when it documents the pair."""
    if (voice.lower(), language.lower()) in _pairs():
        return None
    known = sorted({lang for v, lang in _pairs() if v == voice.lower()})
    if not known:
        return f"Say: Invalid voice value {voice!r}: not a Twilio text-to-speech voice"
    return f"Say: voice {voice!r} does not speak {language!r} (it speaks {', '.join(known)})"
