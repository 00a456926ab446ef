"""Where the console says a recording is not transcribed, it says the one command that fixes it,
the same sentence as `run.py models list` (hotline.transcribe.coverage): on the Health page for
each hotline language without a model, and on an incident whose transcript was skipped."""

from __future__ import annotations

from hotline.base.models import Incident, Recording, Transcript
from tests.support.console import logged_in_client
from tests.support.sandbox import Hotline

SENTENCE = "{lang}: no transcription model, so its recordings are not transcribed. Fix:"
COMMAND = " <code>python3 run.py models install {lang}</code>"  # data, like every command: not translated
CHINESE = "{lang}：沒有語音辨識模型，這個語言的錄音不會轉成文字。修正方法："


def test_health_and_a_skipped_transcript_say_the_command_that_fixes_it(hotline: Hotline):
    with hotline.session() as s:  # the repository's config names no model: every recording is skipped
        incident = Incident(type_key="other", language="zh-TW", status="closed")
        s.add(incident)
        s.flush()
        recording = Recording(incident_id=incident.id, status="stored", path="/nonexistent.wav")
        s.add(recording)
        s.flush()
        s.add(Transcript(recording_id=recording.id, status="skipped", language="zh-TW",
                         reason=(SENTENCE + " python3 run.py models install {lang}").format(lang="zh-TW")))
        incident_id = incident.id
    english = logged_in_client(hotline)
    english.get("/console/lang/en-US")
    health = english.get("/console/health").get_data(as_text=True)
    for lang in ("zh-TW", "en-US"):
        assert f'data-uncovered="{lang}">{(SENTENCE + COMMAND).format(lang=lang)}</div>' in health, health
    page = english.get(f"/console/incidents/{incident_id}").get_data(as_text=True)
    assert f"No transcript. {(SENTENCE + COMMAND).format(lang='zh-TW')}" in page

    chinese = logged_in_client(hotline)
    chinese.get("/console/lang/zh-TW")
    assert (CHINESE + COMMAND).format(lang="en-US") in chinese.get("/console/health").get_data(as_text=True)
    assert (CHINESE + COMMAND).format(lang="zh-TW") in \
        chinese.get(f"/console/incidents/{incident_id}").get_data(as_text=True)
