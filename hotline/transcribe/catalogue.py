"""The official Vosk model for each hotline language, pinned: where it comes from, its size and
its sha256, so `run.py models install LANG` fetches exactly that file or nothing.

Sources: the model list of Alpha Cephei, Vosk's authors, https://alphacephei.com/vosk/models
(license Apache 2.0). zh-TW takes the small Chinese model (Mandarin; Vosk has no Taiwan-specific
one), en-US the small US English model. The sizes and checksums are those of the zips published
there, as pinned by projects that verify the same downloads (the install refuses any other file).

`HOTLINE_MODEL_CATALOGUE` names a JSON file that replaces this table (`{"zh-TW": {"name": ...,
"url": ..., "size": ..., "sha256": ...}}`): for a mirror inside an air-gapped network, and for the
tests, which serve a model from a local HTTP server.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

MODEL_LIST = "https://alphacephei.com/vosk/models"
CATALOGUE_ENV = "HOTLINE_MODEL_CATALOGUE"


@dataclass(frozen=True)
class OfficialModel:
    name: str  # the zip's name without .zip, and the directory it unpacks to
    url: str
    size: int  # bytes of the zip
    sha256: str


_SMALL_CN = OfficialModel("vosk-model-small-cn-0.22", f"{MODEL_LIST}/vosk-model-small-cn-0.22.zip", 43_898_754,
                          "3af8b0e7e0f835ae9d414ce5df580237a3cfb08d586c9fbbb0f7ff29ad5b14ba")
_SMALL_EN_US = OfficialModel("vosk-model-small-en-us-0.15", f"{MODEL_LIST}/vosk-model-small-en-us-0.15.zip",
                             41_205_931, "30f26242c4eb449f948e42cb302dd7a686cb29a3423a8367f99ff41780942498")
OFFICIAL: Mapping[str, OfficialModel] = {"zh-TW": _SMALL_CN, "zh-CN": _SMALL_CN, "en-US": _SMALL_EN_US}


class CatalogueError(Exception):
    """The catalogue file named by HOTLINE_MODEL_CATALOGUE cannot be used; the message says why."""


def catalogue(env: Mapping[str, str] | None = None) -> Mapping[str, OfficialModel]:
    path = (os.environ if env is None else env).get(CATALOGUE_ENV)
    if not path:
        return OFFICIAL
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
        return {lang: OfficialModel(str(m["name"]), str(m["url"]), int(m["size"]), str(m["sha256"]).lower())
                for lang, m in raw.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CatalogueError(f"{CATALOGUE_ENV}={path}: {exc}; give a JSON file "
                             '{"LANG": {"name": ..., "url": ..., "size": ..., "sha256": ...}}') from None


def official_for(language: str, env: Mapping[str, str] | None = None) -> OfficialModel | None:
    return catalogue(env).get(language)
