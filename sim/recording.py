"""<Record> and whole-call recording (Calls.create Record=true).

Twilio's documented behaviour reproduced here:
- defaults: timeout=5 s of silence, finishOnKey="1234567890*#", maxLength=3600,
  playBeep=true, trim="trim-silence", method=POST, action=current document URL;
- the action request carries RecordingUrl, RecordingDuration, RecordingSid and Digits
  (the key that ended it, or "hangup" when the caller hung up — the call is over then,
  so TwiML in that response is ignored);
- an empty recording makes no action request; execution continues with the next verb;
- recordingStatusCallback (events in-progress / completed / absent) is posted
  asynchronously, after the action request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim import audio
from sim.callstate import CallStatus
from sim.model import Clip, Recording, new_sid, rfc2822
from sim.runner import CallEnded, NextDoc, verb
from sim.signing import resolve
from sim.twiml import Verb

if TYPE_CHECKING:
    from sim.runner import CallRunner


def _drop_stale_keys(run: CallRunner) -> None:
    """Keys queued before any speech belong to earlier prompts, not to this recording."""
    with run.sim.cond:
        inputs = run.call.inputs
        while inputs and inputs[0][0] == "dtmf":
            inputs.pop(0)


@verb("Record")
def record(run: CallRunner, item: Verb) -> NextDoc | None:
    timeout = item.int_attr("timeout", 5)
    finish_on_key = item.attrs.get("finishOnKey", "1234567890*#")
    max_length = item.int_attr("maxLength", 3600) or 3600
    trim = item.attr("trim", "trim-silence")
    action = item.attr("action") or run.doc_url or ""
    method = item.attr("method", "POST") or "POST"
    rsc = item.attr("recordingStatusCallback")
    rsc_method = item.attr("recordingStatusCallbackMethod", "POST") or "POST"
    rsc_events = set(
        (item.attr("recordingStatusCallbackEvent", "completed") or "completed").replace(",", " ").split()
    )
    run.log("record", timeout=timeout, finish_on_key=finish_on_key, max_length=max_length, trim=trim)
    _drop_stale_keys(run)
    run.input_point("record")
    if item.bool_attr("playBeep", True):
        run.log("beep")
    sid = new_sid("RE")
    start = run.now()

    def report(status: str, duration: int) -> None:
        """recordingStatusCallback, for the events the TwiML asked for."""
        if rsc and status in rsc_events:
            run.post_async(resolve(run.doc_url, rsc), rsc_method, _rsc_params(run, sid, start, status, duration),
                           f"recording:{status}")

    report("in-progress", 0)
    clips, digits, speech_end = _capture(run, start, timeout, finish_on_key, max_length)
    end = run.now()
    if not clips:
        run.log("recording_empty")
        report("absent", 0)
        if digits == "hangup":
            raise CallEnded(CallStatus.COMPLETED, "remote")
        return None
    pad = max(0.0, end - speech_end) if trim == "do-not-trim" else 0.0
    wav = audio.concat([c.wav for c in clips], trailing_silence=pad, max_seconds=max_length)
    rec = run.sim.store_recording(run.call, sid, wav, start)
    run.log(
        "recording",
        recording_sid=sid,
        duration=rec.duration,
        url=run.sim.recording_url(sid),
        ended_by=digits or "timeout",
    )
    extra = {
        "RecordingUrl": run.sim.recording_url(sid),
        "RecordingDuration": str(rec.duration),
        "RecordingSid": sid,
        "Digits": digits,
    }
    if digits == "hangup":
        run.post(resolve(run.doc_url, action), method, run.params(CallStatus="completed", **extra), "record")
        report("completed", rec.duration)
        raise CallEnded(CallStatus.COMPLETED, "remote")
    doc = run.fetch(action, method, extra, "record")
    report("completed", rec.duration)
    return doc


def _capture(
    run: CallRunner, start: float, timeout: int, finish_on_key: str, max_length: int
) -> tuple[list[Clip], str, float]:
    """Consume the caller's audio and keys until a finish key, hang-up, silence or maxLength."""
    call = run.call
    clips: list[Clip] = []
    speech_end = start
    while True:
        with run.sim.cond:
            entry = call.inputs.pop(0) if call.inputs else None
        if entry is not None:
            kind, value = entry
            if kind == "audio":
                clips.append(value)
                speech_end = max(run.now(), speech_end) + value.duration
            elif str(value) in finish_on_key:
                return clips, str(value), speech_end
            continue
        if call.remote_hangup:
            return clips, "hangup", speech_end
        run.check()
        deadline = min(start + max_length, max(run.now(), speech_end) + timeout)
        if (
            not run.wait(deadline, lambda: bool(call.inputs))
            and run.now() >= deadline
            and not call.remote_hangup
        ):
            run.check()
            return clips, "", speech_end


def _rsc_params(run: CallRunner, sid: str, start: float, status: str, duration: int) -> dict[str, str]:
    return {
        "AccountSid": run.call.account_sid,
        "CallSid": run.call.sid,
        "RecordingSid": sid,
        "RecordingUrl": run.sim.recording_url(sid),
        "RecordingStatus": status,
        "RecordingDuration": str(duration),
        "RecordingChannels": "1",
        "RecordingStartTime": rfc2822(start) or "",
        "RecordingSource": "RecordVerb",
        "RecordingTrack": "both",
        "ErrorCode": "0",
    }


def record_whole_call(run: CallRunner) -> None:
    """Calls.create Record=true: keep what the far end said, padded to the call's length."""
    call = run.call
    opts = call.options
    start = call.start_time or run.now()
    length = max(0.0, run.now() - start)
    spoken = audio.concat([c.wav for c in call.spoken]) if call.spoken else audio.pcm_to_wav(b"")
    spoken_len = audio.duration(spoken)
    wav = audio.concat([spoken], trailing_silence=max(0.0, length - spoken_len))
    sid = new_sid("RE")
    rec = run.sim.store_recording(call, sid, wav, start, source="OutboundAPI")
    run.log(
        "recording",
        recording_sid=sid,
        duration=rec.duration,
        url=run.sim.recording_url(sid),
        ended_by="call-end",
    )
    if opts.recording_status_callback and "completed" in opts.recording_status_callback_events:
        params = _rsc_params(run, sid, start, "completed", rec.duration)
        params["RecordingSource"] = "OutboundAPI"
        run.post_async(
            opts.recording_status_callback,
            opts.recording_status_callback_method,
            params,
            "recording:completed",
        )


__all__ = ["record", "record_whole_call", "Recording"]
