"""Every <Say> of a drill's responder call opens with the drill notice, in the listener's language,
whatever the reply (menu, recording, accepted, end, connect, the failure message)."""

from __future__ import annotations

import re

import pytest

from hotline.base.config import load_config
from hotline.responder.conversation import Kind, Reply
from hotline.responder.twiml import failure, render

NOTICE = {"en-US": "This is a drill.", "zh-TW": "這是演練。"}
REPLIES = [
    Reply(Kind.MENU, ("A report came in.",), menu="Press 1 to accept.", language="en-US"),
    Reply(Kind.RECORDING, ("Recording 1.",), menu="Press 1 to accept.", play_url="http://x/r.wav", language="zh-TW"),
    Reply(Kind.ACCEPTED, ("Thank you.",), menu="Press 1 to connect.", language="en-US"),
    Reply(Kind.ACCEPTED, ("Thank you.",), language="zh-TW"),
    Reply(Kind.CONNECT, ("Connecting.",), dial="+886912345678", language="en-US"),
    Reply(Kind.END, ("Someone else took it.",), language="zh-TW"),
]


def says(twiml: str) -> list[tuple[str, str]]:
    """(language, text) of every <Say>; each carries a voice too (`hotline.base.voices`)."""
    return re.findall(r'<Say language="([^"]+)" voice="[^"]+">([^<]*)</Say>', twiml)


@pytest.mark.parametrize("reply", REPLIES, ids=lambda r: f"{r.kind}-{r.language}")
def test_every_say_opens_with_the_notice(reply):
    cfg = load_config(env={})
    lang = reply.language
    found = says(str(render(cfg, 7, reply, NOTICE[lang])))
    spoken = cfg.voices.say(lang)["language"]  # Twilio's ID for the language: "cmn-TW" for zh-TW
    assert found and all(text.startswith(NOTICE[lang]) and said_in == spoken for said_in, text in found), found
    plain = says(str(render(cfg, 7, reply)))
    assert plain and not any(NOTICE[lang] in text for _, text in plain)


def test_the_failure_message_of_a_drill_call_says_so_first():
    cfg = load_config(env={})
    hotline_lang = {cfg.voices.say(lang)["language"]: lang for lang in NOTICE}  # "cmn-TW" -> "zh-TW"
    assert all(text.startswith(NOTICE[hotline_lang[said_in]])
               for said_in, text in says(str(failure(cfg, None, drill=True))))
    assert says(str(failure(cfg, "zh-TW", drill=True)))[0][1].startswith("這是演練。")
