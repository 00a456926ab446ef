"""Reports by SMS in the registry: its table, and its place as the SMS channel's last handler."""

from __future__ import annotations

from hotline.base.registry import Feature, TextHandler
from hotline.textreports import models, texts

FEATURE = Feature(
    name="textreports",
    models=(models,),
    texts=(TextHandler("report_by_text", 100, texts.handle),),
)
