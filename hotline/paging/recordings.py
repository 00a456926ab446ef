"""Fetch a caller's recording from Twilio (or the sim) into `recordings/`, with a checksum.

Runs as an RQ job with retries (`hotline.paging.jobs.fetch_recording`): idempotent, it
re-reads the row and does nothing when the file is already stored. After the last retry the
row is `failed` with its reason (`mark_failed`), never left `pending`; the convergence cycle
tries a failed download again later while Twilio still holds the file.
"""

from __future__ import annotations

import hashlib
import logging
import wave
from pathlib import Path

from hotline.base import audit
from hotline.base.machines import RECORDING
from hotline.base.models import Recording, utcnow
from hotline.base.recording_store import recording_store
from hotline.base.runtime import get_runtime
from hotline.base.states import RECORDING_SETTLED, RecordingStatus
from hotline.provider import media as twilio_media

log = logging.getLogger("hotline.recordings")


def download_recording(recording_id: int) -> str:
    rt = get_runtime()
    cfg = rt.config
    with rt.db.session() as s:
        rec = s.get(Recording, recording_id)
        if rec is None or rec.status in RECORDING_SETTLED:
            return "nothing to do"
        url, sid, incident_id = rec.source_url, rec.sid, rec.incident_id
        rec.attempts += 1
        rec.last_try_at = utcnow()
    try:
        response = twilio_media.fetch(cfg, url)
    except twilio_media.ForeignMediaUrl as exc:  # never retried: the URL will not get better
        with rt.db.session() as s:
            RECORDING.move(s, recording_id, RecordingStatus.FAILED, values={"error": f"refused: {exc}"})
            audit.record(s, "recording_url_refused", incident_id, sid=sid, url=(url or "")[:200], reason=str(exc))
        log.warning("recording %s: refused to fetch %r: %s", sid, url, exc)
        return f"refused: {exc}"
    if response.status_code != 200:
        with rt.db.session() as s:
            s.get_one(Recording, recording_id).error = f"HTTP {response.status_code} from {url}.wav"
        response.raise_for_status()  # RQ retries with backoff
    data = response.content
    now = utcnow()
    store = recording_store(cfg)
    location = store.put(f"{now:%Y/%m}/{incident_id or 'unlinked'}-{sid}.wav", data)
    path = store.local_path(location)
    duration, fmt = wav_info(path)
    digest = hashlib.sha256(data).hexdigest()
    with rt.db.session() as s:
        stored = RECORDING.move(s, recording_id, RecordingStatus.STORED, values={
            "path": location, "sha256": digest, "size": len(data), "duration": duration, "format": fmt,
            "stored_at": now, "error": None})
        if stored:
            audit.record(s, "recording_stored", incident_id, sid=sid, sha256=digest, seconds=duration,
                         path=str(path.relative_to(cfg.recordings_dir)))
    return str(path)


def store_local(incident_id: int, source: Path, kind: str = "report") -> int:
    """A WAV file from this machine (a drill's scripted report) stored like a caller's recording."""
    cfg = get_runtime().config
    data = source.read_bytes()
    now = utcnow()
    digest = hashlib.sha256(data).hexdigest()
    store = recording_store(cfg)
    location = store.put(f"{now:%Y/%m}/{incident_id}-local-{digest[:12]}.wav", data)
    path = store.local_path(location)
    duration, fmt = wav_info(path)
    with get_runtime().db.session() as s:
        rec = Recording(incident_id=incident_id, kind=kind, status=RecordingStatus.STORED, path=location,
                        sha256=digest, size=len(data), duration=duration, format=fmt, stored_at=now)
        s.add(rec)
        s.flush()
        audit.record(s, "recording_stored", incident_id, sha256=digest, seconds=duration, source=source.name,
                     path=str(path.relative_to(cfg.recordings_dir)))
        return rec.id


def mark_failed(recording_id: int, reason: str) -> bool:
    """Every fetch failed: say so on the recording and the timeline (the console shows it)."""
    with get_runtime().db.session() as s:
        rec = s.get(Recording, recording_id)
        if rec is None or not RECORDING.move(s, recording_id, RecordingStatus.FAILED, values={"error": reason[:2000]}):
            return False
        audit.record(s, "recording_failed", rec.incident_id, sid=rec.sid, attempts=rec.attempts, error=reason[:500])
    log.error("recording %s failed for good: %s", recording_id, reason)
    return True


def wav_info(path: Path) -> tuple[float, str]:
    with wave.open(str(path), "rb") as w:
        rate, channels, width = w.getframerate(), w.getnchannels(), w.getsampwidth()
        return w.getnframes() / float(rate), f"wav/{rate}Hz/{channels}ch/{8 * width}bit"
