"""Ringing a simulated phone until it answers, declines, fails, is cancelled or times out."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.callstate import CallStatus

if TYPE_CHECKING:
    from sim.runner import CallRunner


def ring(runner: CallRunner) -> CallStatus | None:
    """Ring the callee of `runner.call`; None once answered, else the final status.

    A person declining (or hanging up while it rings) is reported as `busy`, which is what
    carriers usually signal to Twilio for a rejected call.
    """
    call = runner.call
    plan = runner.behaviour.ring_plan()
    runner.log("ring", mode=plan.mode, after=plan.after, timeout=call.options.timeout)
    if plan.mode == "busy":
        return CallStatus.BUSY
    if plan.mode == "failed":
        return CallStatus.FAILED
    runner.set_status(CallStatus.RINGING)
    start = runner.now()
    deadline = start + call.options.timeout
    answer_at = start + plan.after if plan.mode == "answer" else None

    def decided() -> bool:
        return (
            call.answer_requested
            or call.decline_requested
            or call.remote_hangup
            or call.cancel_status is not None
        )

    while True:
        target = deadline if answer_at is None else min(deadline, answer_at)
        with runner.sim.cond:
            runner.clock.wait_until(target, decided, call.sid)
            if call.cancel_status is not None:
                return call.cancel_status
            if call.decline_requested or call.remote_hangup:
                runner.log("declined")
                return CallStatus.BUSY
            if call.answer_requested or (answer_at is not None and runner.now() >= answer_at):
                return None
            if runner.now() >= deadline:
                return CallStatus.NO_ANSWER
