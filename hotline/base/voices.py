"""Which text-to-speech voice speaks each language, so every <Say> is one Twilio will speak.

Twilio's default voice is `man`, which speaks no Chinese: a `<Say language="zh-TW">` without a
voice may fail silently on a real number, and the caller hears nothing. So every <Say> the
product writes carries a voice and a language Twilio documents together, chosen here once per
hotline language (`[hotline] voices` in config.toml, else the defaults of the table).

The table of documented pairs is data (`hotline/base/twilio_voices.toml`, copied from Twilio's
text-to-speech page); the sim keeps the same table and refuses any other pair as Twilio would.
A hotline language tag ("zh-TW") may be filed in Twilio's table under another language ID
("cmn-TW" for Google's Taiwanese Mandarin voices): <Say language> is then that ID.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

TABLE = Path(__file__).with_name("twilio_voices.toml")
SOURCE = "https://www.twilio.com/docs/voice/twiml/say/text-speech#available-voices-and-languages"
BASIC = frozenset({"man", "woman", "alice"})  # Twilio's own voices, kept for old TwiML; never a default


@dataclass(frozen=True)
class Table:
    """Twilio's documented pairs: language ID (lower case) -> voices (lower case -> as written)."""

    languages: Mapping[str, Mapping[str, str]]
    defaults: Mapping[str, str]
    same_language: Mapping[str, tuple[str, ...]]

    def ids_for(self, lang: str) -> tuple[str, ...]:
        """The language IDs a voice may be listed under to speak the hotline language `lang`."""
        return (lang, *self.same_language.get(lang, ()))

    def say_language(self, voice: str, lang: str) -> str | None:
        """The <Say language> for `voice` speaking `lang`, or None when Twilio documents no such pair."""
        for language_id in self.ids_for(lang):
            if voice.lower() in self.languages.get(language_id.lower(), {}):
                return language_id
        return None

    def voices_for(self, lang: str) -> list[str]:
        """Every documented voice for `lang`, neural and cloud voices first."""
        found = [v for i in self.ids_for(lang) for v in self.languages.get(i.lower(), {}).values()]
        return sorted(dict.fromkeys(found), key=lambda v: (v in BASIC, found.index(v)))

    def default_for(self, lang: str) -> str | None:
        if lang in self.defaults:
            return self.defaults[lang]
        return next(iter(self.voices_for(lang)), None)


@functools.cache
def table() -> Table:
    raw = tomllib.loads(TABLE.read_text(encoding="utf-8"))
    languages = {lang.lower(): {v.lower(): v for v in voices} for lang, voices in raw["languages"].items()}
    return Table(languages, dict(raw.get("defaults", {})),
                 {k: tuple(v) for k, v in raw.get("same_language", {}).items()})


@dataclass(frozen=True)
class SayVoice:
    voice: str
    language: str  # Twilio's language ID for this voice: the value of <Say language>


@dataclass(frozen=True)
class Voices:
    """The voice of each hotline language; `say(lang)` is the attributes of a <Say> in `lang`."""

    by_language: Mapping[str, SayVoice] = field(default_factory=dict)
    first: str = "zh-TW"  # the hotline's default language: its voice speaks a language nobody chose

    def say(self, lang: str) -> dict[str, str]:
        chosen = (self.by_language.get(lang) or _default(lang)
                  or self.by_language.get(self.first) or _default(self.first))
        assert chosen is not None, f"no documented voice for {lang} or {self.first}"
        return {"voice": chosen.voice, "language": chosen.language}


def _default(lang: str) -> SayVoice | None:
    voice = table().default_for(lang)
    language = table().say_language(voice, lang) if voice else None
    return SayVoice(voice, language) if voice and language else None


def default_voices(languages: Iterable[str] = ("zh-TW", "en-US")) -> Voices:
    """The table's defaults, for TwiML made without a config (the TwiML Bin, a broken config)."""
    langs = tuple(languages)
    return Voices({lang: v for lang in langs if (v := _default(lang))}, langs[0] if langs else "zh-TW")


def choose(configured: Mapping[str, object], languages: Iterable[str]) -> tuple[Voices, list[tuple[str, object, str]]]:
    """The voices for the hotline's languages from `[hotline] voices`, and each problem as (key,
    value, fix): a voice Twilio does not document for the language, or a language with no voice."""
    t = table()
    langs = tuple(languages)
    chosen: dict[str, SayVoice] = {}
    problems: list[tuple[str, object, str]] = []
    for lang in dict.fromkeys((*langs, *configured)):
        voice = configured.get(lang)
        if voice is None:
            default = _default(lang)
            if default is not None:
                chosen[lang] = default
            else:
                problems.append((f"hotline.voices.{lang}", None,
                                 f"Twilio documents no <Say> voice for {lang} ({SOURCE}); record every prompt "
                                 f"(`run.py prompts upload`) and name a voice of a nearby language"))
            continue
        if not isinstance(voice, str) or not voice:
            problems.append((f"hotline.voices.{lang}", voice, f"give a voice name, e.g. {_example(lang)}"))
            continue
        language = t.say_language(voice, lang)
        if language is None:
            problems.append((f"hotline.voices.{lang}", voice,
                             f"Twilio does not document the voice {voice!r} for {lang}, so <Say> may fail and "
                             f"callers hear nothing; use one of {_options(lang)} (Twilio's table: {SOURCE})"))
            continue
        chosen[lang] = SayVoice(voice, language)
    return Voices(chosen, langs[0] if langs else "zh-TW"), problems


def _example(lang: str) -> str:
    return f'"{table().default_for(lang) or "Polly.Joanna-Neural"}"'


def _options(lang: str) -> str:
    voices = table().voices_for(lang)
    if not voices:
        return "a voice of another language (Twilio documents none for this one)"
    shown = ", ".join(f'"{v}"' for v in voices[:6])
    return shown + (f" (and {len(voices) - 6} more)" if len(voices) > 6 else "")
