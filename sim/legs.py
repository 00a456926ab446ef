"""How each kind of call starts: inbound (a phone calls a number) and outbound-api (Calls.create).

Also answering-machine detection for outbound calls: synchronous AMD delays the first
webhook until detection ends and sends AnsweredBy with it; AsyncAmd fetches the Url at once
and posts AnsweredBy + MachineDetectionDuration to AsyncAmdStatusCallback later.
"""

from __future__ import annotations

from sim.callstate import CallStatus, is_final
from sim.ringing import ring
from sim.runner import CallEnded, CallRunner, NextDoc
from sim.signing import resolve


def run_inbound(run: CallRunner) -> None:
    """Fetch the number's VoiceUrl while ringing; <Reject> first means never answered."""
    run.set_status(CallStatus.RINGING)
    opts = run.call.options
    doc = (
        NextDoc(run.parse_inline(opts.twiml), None) if opts.twiml else run.fetch(opts.url or "", opts.method)
    )
    run.check()
    if doc.verbs and doc.verbs[0].name == "Reject":
        reason = doc.verbs[0].attr("reason", "rejected")
        run.log("reject", reason=reason)
        raise CallEnded(CallStatus.BUSY if reason == "busy" else CallStatus.NO_ANSWER, "reject")
    run.answer()
    run.execute(doc)


def run_outbound(run: CallRunner) -> None:
    """Ring the sim phone; once answered, detect a machine if asked, then run the Url/Twiml."""
    run.status_callback("initiated", "initiated")
    outcome = ring(run)
    if outcome is not None:
        raise CallEnded(outcome, "ring")
    run.answer()
    detect_machine(run)
    opts = run.call.options
    if opts.send_digits:
        run.log("send_digits", digits=opts.send_digits)
    doc = (
        NextDoc(run.parse_inline(opts.twiml), None) if opts.twiml else run.fetch(opts.url or "", opts.method)
    )
    run.execute(doc)


def detect_machine(run: CallRunner) -> None:
    opts = run.call.options
    if not opts.machine_detection:
        return
    answered_by, seconds = run.behaviour.amd(opts.machine_detection)
    if not opts.async_amd:
        run.wait(run.now() + seconds)
        run.check()
        with run.sim.cond:
            run.call.answered_by = answered_by
        run.log("amd", answered_by=answered_by, detection_seconds=seconds, mode="sync")
        return
    run.sim.spawn(lambda: _async_amd(run, answered_by, seconds), f"amd-{run.call.sid[-6:]}")


def _async_amd(run: CallRunner, answered_by: str, seconds: float) -> None:
    with run.sim.cond:
        run.clock.wait_until(run.now() + seconds, lambda: is_final(run.call.status), run.call.sid)
        if is_final(run.call.status):
            return
        run.call.answered_by = answered_by
    run.log("amd", answered_by=answered_by, detection_seconds=seconds, mode="async")
    opts = run.call.options
    if opts.async_amd_callback:
        params = {
            "AccountSid": run.call.account_sid,
            "CallSid": run.call.sid,
            "AnsweredBy": answered_by,
            "MachineDetectionDuration": str(int(seconds * 1000)),
        }
        run.post(resolve(opts.url, opts.async_amd_callback), opts.async_amd_method, params, "amd")
