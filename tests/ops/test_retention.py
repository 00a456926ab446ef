"""Retention: recordings and transcripts of closed incidents go after the configured time, once a
day from the convergence cycle, with an audit row per purge; an incident on legal hold keeps
everything until the hold is released; an open incident keeps everything.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from hotline.base import jobs
from hotline.base.config import ROOT, ConfigError, load_config
from hotline.base.lifecycle import Actor, Channel
from hotline.base.models import Incident, Lease, Recording, Transcript, utcnow
from hotline.base.states import RecordingStatus, TranscriptStatus
from hotline.paging import commands
from hotline.retention import purge as retention
from hotline.service.embedded_redis import start_embedded_redis
from tests.support import e2e
from tests.support.lanes import starts_processes
from tests.support.postgres import database_for
from tests.support.sandbox import Hotline

ADMIN = Actor("test-admin", Channel.CLI)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
@starts_processes
def h(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hotline]:
    url, drop = database_for(request.param)
    tmp = tmp_path_factory.mktemp("retention")
    redis = start_embedded_redis(tmp / "redis", persist=False)
    config = e2e.write_config(tmp)
    text = config.read_text()
    assert 'transcripts = "90d"' in text  # the repository's own setting, shortened for transcripts here
    config.write_text(text.replace('transcripts = "90d"', 'transcripts = "30d"', 1))
    hotline = Hotline(tmp, redis.url, url, config_path=config, on_close=drop)
    hotline.start_worker("callout", "recordings", "default")
    yield hotline
    hotline.close()
    redis.stop()


def run_py(h: Hotline, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "run.py"), *args], env={**os.environ, **h.env}, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def reported_with_transcript(h: Hotline, caller: str, wav: Path) -> Incident:
    """A report whose recording is stored; its transcript row stands in for the Vosk worker's."""
    inc = e2e.report(h, "12", caller=caller, wav=wav)
    rec = h.wait_for(lambda: next((r for r in h.recordings(inc.id) if r.status == RecordingStatus.STORED), None),
                     timeout=60, what="recording stored")
    with h.session() as s:
        s.add(Transcript(recording_id=rec.id, status=TranscriptStatus.DONE, text="fire in building three",
                         words=[{"word": "fire"}], language="en-US"))
    return inc


def state(h: Hotline, incident_id: int) -> tuple[list[Recording], list[Transcript]]:
    with h.session() as s:
        recs = list(s.scalars(select(Recording).where(Recording.incident_id == incident_id)))
        trs = list(s.scalars(select(Transcript).where(Transcript.recording_id.in_([r.id for r in recs]))))
        return recs, trs


def test_purge_after_close_with_a_legal_hold_kept(h: Hotline, speech_wav: Path) -> None:
    closed, held, still_open = (reported_with_transcript(h, f"+88691200010{n}", speech_wav) for n in range(3))
    for inc in (closed, held):
        assert jobs.run(commands.resolve, inc.id, ADMIN, "done").ok
    assert jobs.run(commands.stop_paging, still_open.id, ADMIN, "waiting for the caller").ok
    done = run_py(h, "hold", held.ref or "", "--reason", "court order 2026/17")
    assert done.returncode == 0, done.stderr
    assert "on legal hold" in done.stdout
    held_files = [Path(r.path or "") for r in state(h, held.id)[0]]
    closed_files = [Path(r.path or "") for r in state(h, closed.id)[0]]
    assert all(p.is_file() for p in held_files + closed_files)

    # 31 days on: transcripts (30d) of the closed incident go, its recordings (90d) stay.
    day31 = utcnow() + timedelta(days=31)
    assert h.converge(now=day31)["purged"] == [closed.id]
    recs, trs = state(h, closed.id)
    assert all(r.status == RecordingStatus.STORED for r in recs) and all(p.is_file() for p in closed_files)
    assert [(t.status, t.text, t.words) for t in trs] == [(TranscriptStatus.PURGED, "", [])]
    assert h.converge(now=day31 + timedelta(hours=1))["purged"] == []  # once a day

    # 91 days on: its recordings go too; the held and the open incident keep everything.
    day91 = utcnow() + timedelta(days=91)
    assert h.converge(now=day91)["purged"] == [closed.id]
    recs, trs = state(h, closed.id)
    assert [(r.status, r.path) for r in recs] == [(RecordingStatus.PURGED, None)] * len(recs)
    assert all(r.sha256 and r.size for r in recs)  # the row still says what was there
    assert not any(p.exists() for p in closed_files)
    for kept in (held, still_open):
        recs, trs = state(h, kept.id)
        assert all(r.status == RecordingStatus.STORED and Path(r.path or "").is_file() for r in recs)
        assert [t.text for t in trs] == ["fire in building three"]
    purges = h.audit(closed.id, "retention_purged")
    assert [(e.actor, e.detail["recordings"], len(e.detail["transcripts"])) for e in purges] == [
        ("system", [], 1), ("system", [r.id for r in recs_of(h, closed.id)], 0)]
    assert purges[-1].detail["recordings_kept"] == "90 days"

    # A purged recording is never fetched again, whatever the cycle sees.
    assert not set(h.converge(now=day91 + timedelta(minutes=5))["fetches"]) & {r.id for r in recs_of(h, closed.id)}

    # Releasing the hold: the next daily pass purges it like any other.
    done = run_py(h, "hold", held.ref or "", "--reason", "case closed", "--release")
    assert done.returncode == 0 and "released" in done.stdout, done.stderr
    holds = [e.kind for e in h.audit(held.id) if e.kind.startswith("legal_hold")]
    assert holds == ["legal_hold", "legal_hold_released"]
    assert h.converge(now=day91 + timedelta(hours=2))["purged"] == []  # today's pass is done
    assert h.converge(now=day91 + timedelta(days=1, minutes=1))["purged"] == [held.id]
    assert not any(p.exists() for p in held_files)
    recs, _ = state(h, still_open.id)
    assert all(Path(r.path or "").is_file() for r in recs)
    jobs.run(commands.resolve, still_open.id, ADMIN, "end of test")


def recs_of(h: Hotline, incident_id: int) -> list[Recording]:
    return state(h, incident_id)[0]


def test_the_day_is_claimed_once_across_nodes(h: Hotline) -> None:
    now = utcnow() + timedelta(days=400)
    with h.session() as s:
        first = retention.claim_day(s, now)
    with h.session() as s:
        second = retention.claim_day(s, now + timedelta(minutes=1))
        lease = s.get(Lease, retention.DAILY)
        assert lease is not None and lease.expires_at == now + retention.PERIOD
    assert (first, second) == (True, False)


def test_hold_needs_a_reason_and_a_known_report(h: Hotline) -> None:
    done = run_py(h, "hold", "999999", "--reason", "x")
    assert done.returncode == 1 and "no report with reference 999999" in done.stdout
    done = run_py(h, "hold", "1001")
    assert done.returncode == 2 and "--reason" in done.stderr


@pytest.mark.parametrize("value", ["90 days", "90", "0d", "-5d", "3m", 90])
def test_a_retention_that_is_not_a_duration_is_a_config_error(tmp_path: Path, value: object) -> None:
    base = (ROOT / "config.toml").read_text(encoding="utf-8").replace('flows_dir = "ivr_flows"',
                                                                      f'flows_dir = "{ROOT / "ivr_flows"}"')
    shown = f'"{value}"' if isinstance(value, str) else str(value)
    path = tmp_path / "config.toml"
    assert 'recordings = "90d"' in base
    path.write_text(base.replace('recordings = "90d"', f"recordings = {shown}", 1), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(path, env={"HOTLINE_DATA_DIR": str(tmp_path / "data")})
    problems = [p for p in err.value.problems if p.key.startswith("retention")]
    assert [(p.file, p.key, p.value) for p in problems] == [(str(path), "retention.recordings", value)]
    assert '"90d"' in problems[0].fix and "forever" in problems[0].fix


def test_retention_values_that_are_durations(tmp_path: Path) -> None:
    from hotline.retention.settings import parse_duration

    assert parse_duration("90d") == timedelta(days=90)
    assert parse_duration(" 12w ") == timedelta(weeks=12)
    assert parse_duration("36h") == timedelta(hours=36)
    assert parse_duration("forever") is None


def test_photos_and_voice_memos_go_with_the_recordings(h: Hotline, tmp_path: Path) -> None:
    """What reporters sent another way than a call (a text's photo, an app report's photo and voice
    memo) is deleted with the recordings, after the same time; an open incident keeps its own."""
    from hotline.reportapp.models import AppDevice, AppReport
    from hotline.textreports.models import MediaStatus, TextConversation, TextMedia

    def reported_with_media(n: int) -> tuple[int, list[Path]]:
        photo, memo = tmp_path / f"photo-{n}.jpg", tmp_path / f"memo-{n}.webm"
        photo.write_bytes(b"\xff\xd8 a photo"), memo.write_bytes(b"a memo")
        with h.session() as s:
            incident, _ = commands.open_report(s, type_key="other", lang="en-US", actor=ADMIN, source="sms")
            talk = TextConversation(sender="+886912000200", number="+886277001234", incident_id=incident.id,
                                    language="en-US")
            device = AppDevice(person="chen", link_hash=f"retention-{n}", link_expires_at=utcnow(),
                               language="en-US", issued_by="test-admin")
            s.add_all([talk, device])
            s.flush()
            s.add_all([TextMedia(incident_id=incident.id, conversation_id=talk.id, url="https://example.invalid/m",
                                 status=MediaStatus.STORED, path=str(photo)),
                       AppReport(device_id=device.id, client_id=f"c{n}", incident_id=incident.id, type_key="other",
                                 made_at=utcnow(), photo=b"\xff\xd8 app photo", photo_type="image/jpeg",
                                 memo_path=str(memo), memo_type="audio/webm")])
            return incident.id, [photo, memo]

    closed, closed_files = reported_with_media(1)
    still_open, open_files = reported_with_media(2)
    assert jobs.run(commands.resolve, closed, ADMIN, "done").ok

    later = utcnow() + timedelta(days=500)  # past the other tests' daily passes
    assert closed in h.converge(now=later)["purged"]
    assert not any(p.exists() for p in closed_files) and all(p.is_file() for p in open_files)
    with h.session() as s:
        media = {m.incident_id: (m.status, m.path) for m in s.scalars(select(TextMedia))}
        apps = {r.incident_id: (r.photo is not None, r.memo_path, r.memo_type) for r in s.scalars(select(AppReport))}
    assert media[closed] == (MediaStatus.PURGED, None)
    assert media[still_open] == (MediaStatus.STORED, str(open_files[0]))
    assert apps[closed] == (False, None, "audio/webm")  # the type stays: a resent memo is not stored again
    assert apps[still_open] == (True, str(open_files[1]), "audio/webm")
    assert [e.detail["media"] for e in h.audit(closed, "retention_purged")] == [3]
    assert h.converge(now=later + timedelta(days=1, minutes=1))["purged"] == []  # nothing left to purge
    jobs.run(commands.resolve, still_open, ADMIN, "end of test")
