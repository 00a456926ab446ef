"""A report's voice memo, against a real server: stored on site with the report, once; a report
sent again brings a memo the first sending lacked and never replaces one; a memo that is not
audio, or too large, is left out and the report still counts."""

from __future__ import annotations

import base64
import threading
import uuid
from pathlib import Path

from sqlalchemy import select

from hotline.base.recording_store import recording_store
from hotline.reportapp import memos
from hotline.reportapp.models import AppReport
from tests.support.reportapp import enrol, send
from tests.support.sandbox import Hotline

SOUND = b"\x1aE\xdf\xa3" + bytes(range(256)) * 8  # a WebM header and some bytes: nothing reads it but a player


def _memo(data: bytes = SOUND, kind: str = "audio/webm;codecs=opus") -> str:
    return f"data:{kind};base64,{base64.b64encode(data).decode()}"


def _row(h: Hotline, client_id: str) -> tuple[str | None, str | None, int]:
    with h.session() as s:
        row = s.scalar(select(AppReport).where(AppReport.client_id == client_id))
        assert row is not None and row.incident_id is not None
        return row.memo_path, row.memo_type, row.incident_id


def test_a_memo_is_stored_on_site_with_the_report_once(h: Hotline):
    token, client_id = enrol(h), uuid.uuid4().hex
    assert send(h, token, client_id, memo=_memo()).status_code == 201
    assert send(h, token, client_id, memo=_memo(b"other" * 10)).status_code == 200  # the retry replaces nothing
    path, kind, incident_id = _row(h, client_id)
    assert path is not None and kind == "audio/webm"
    stored = Path(path)
    assert stored.read_bytes() == SOUND and stored.resolve().is_relative_to(h.config.recordings_dir.resolve())
    assert len(h.audit(incident_id, "app.memo_stored")) == 1


def test_a_memo_the_first_sending_lacked_comes_with_a_retry(h: Hotline):
    token, client_id = enrol(h), uuid.uuid4().hex
    assert send(h, token, client_id).status_code == 201
    assert _row(h, client_id)[0] is None
    assert send(h, token, client_id, memo=_memo(kind="audio/mp4")).status_code == 200
    path, kind, _ = _row(h, client_id)
    assert path is not None and path.endswith(".m4a") and kind == "audio/mp4"


def test_a_memo_that_is_not_audio_or_too_large_is_left_out(h: Hotline):
    token = enrol(h)
    for memo in (_memo(kind="text/html"), _memo(b"x" * (memos.MAX_BYTES + 1)), "data:audio/webm;base64,!!!", 42):
        client_id = uuid.uuid4().hex
        assert send(h, token, client_id, memo=memo).status_code == 201
        assert _row(h, client_id)[:2] == (None, None)


def test_two_sendings_of_one_memo_at_once_store_it_once(h: Hotline):
    """The phone resends while the first sending is still storing: the second waits for the first's
    claim on the report and stores nothing (it used to read "no memo" too, and store it again)."""
    token, client_id = enrol(h), uuid.uuid4().hex
    assert send(h, token, client_id).status_code == 201  # the report, without its memo
    path, _, incident_id = _row(h, client_id)
    assert path is None
    with h.session() as s:
        device_id = s.scalar(select(AppReport.device_id).where(AppReport.client_id == client_id))
    store = recording_store(h.config)
    first = h.runtime.db.sessions()
    assert memos.attach(first, store, device_id, client_id, SOUND, "audio/webm")  # not committed yet
    second: list[bool] = []

    def resend() -> None:
        with h.session() as s:
            second.append(memos.attach(s, store, device_id, client_id, b"other" * 10, "audio/webm"))

    thread = threading.Thread(target=resend)
    thread.start()
    thread.join(0.5)  # it reads, or waits on the report's row
    first.commit()
    first.close()
    thread.join(20)
    assert second == [False]
    path, kind, _ = _row(h, client_id)
    assert path is not None and Path(path).read_bytes() == SOUND and kind == "audio/webm"
    assert len(h.audit(incident_id, "app.memo_stored")) == 1
