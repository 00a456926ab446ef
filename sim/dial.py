"""<Dial> with <Number> nouns (or a plain-text number): child legs, bridging, the action request.
(<Dial><Conference> is handed to `sim.conference`.)

Each dialled number becomes an `outbound-dial` child call with its own runner thread that
rings the sim phone (timeout default 30 s). The first leg to answer wins and the others are
cancelled. A <Number url="..."> whisper document runs on the child leg before bridging.
When the dialled call ends, the action URL gets DialCallStatus / DialCallSid /
DialCallDuration / DialBridged; without an action, execution continues with the next verb.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sim.callstate import CallStatus, is_final
from sim.model import Call, CallOptions
from sim.ringing import ring
from sim.runner import CallEnded, NextDoc, verb
from sim.signing import resolve
from sim.twiml import Verb

if TYPE_CHECKING:
    from sim.runner import CallRunner

ERR_DIAL_NOUN = 13201  # unsupported dial target in this simulator; logged with the noun name


@dataclass(eq=False)
class DialState:
    parent: Call
    children: list[Call] = field(default_factory=list)
    whisper: dict[str, tuple[str, str]] = field(default_factory=dict)
    winner: Call | None = None
    bridged: bool = False
    done: bool = False


def _targets(item: Verb) -> list[tuple[str, dict[str, str]]]:
    if item.text and not item.children:
        return [(item.text, {})]
    return [(child.text, child.attrs) for child in item.children if child.name == "Number"]


@verb("Dial")
def dial(run: CallRunner, item: Verb) -> NextDoc | None:
    parent = run.call
    timeout = item.int_attr("timeout", 30)
    action = item.attr("action")
    method = item.attr("method", "POST") or "POST"
    caller_id = item.attr("callerId") or parent.from_
    time_limit = item.int_attr("timeLimit", 14400)
    room = next((c for c in item.children if c.name == "Conference"), None)
    if room is not None:
        from sim.conference import join  # the conference module imports the runner too

        run.log("dial", conference=room.text, action=action)
        join(run, room)  # until the call leaves the room
        return _after(run, action, method, {"DialCallStatus": "completed"})
    unsupported = [c.name for c in item.children if c.name != "Number"]
    targets = _targets(item)
    run.log("dial", numbers=[t[0] for t in targets], timeout=timeout, caller_id=caller_id, action=action)
    if unsupported or not targets:
        run.log(
            "error",
            code=ERR_DIAL_NOUN,
            message=f"<Dial> target not simulated: {unsupported or 'none'}",
            url=None,
        )
        return _after(run, action, method, {"DialCallStatus": "failed", "DialBridged": "false"})
    state = DialState(parent)
    for number, attrs in targets:
        opts = CallOptions(
            url=resolve(run.doc_url, attrs["url"]) if attrs.get("url") else None,
            method=attrs.get("method", "POST"),
            status_callback=resolve(run.doc_url, attrs["statusCallback"])
            if attrs.get("statusCallback")
            else None,
            status_callback_method=attrs.get("statusCallbackMethod", "POST"),
            status_callback_events=frozenset(
                (attrs.get("statusCallbackEvent") or "completed").replace(",", " ").split()
            ),
            timeout=timeout,
            send_digits=attrs.get("sendDigits"),
            time_limit=time_limit,
        )
        child = run.sim.create_child_call(parent, number.strip(), caller_id, opts, state)
        state.children.append(child)
        if opts.url:
            state.whisper[child.sid] = (opts.url, opts.method)
    run.sim.start_calls(state.children)

    def settled() -> bool:
        return state.winner is not None or all(is_final(c.status) for c in state.children)

    run.wait(None, settled)
    if run.interrupted():
        return _parent_gone(run, state, action, method)
    if state.winner is not None:
        run.sim.end_calls([c for c in state.children if c is not state.winner], CallStatus.CANCELED)
        winner = state.winner
        limit = run.now() + time_limit

        def over() -> bool:
            return is_final(winner.status) or _star_pressed(run, item)

        run.wait(limit, over)
        if run.interrupted():
            return _parent_gone(run, state, action, method)
        if not is_final(winner.status):
            if _star_pressed(run, item):
                _take_star(run)
                run.log("hangup_on_star")
            run.sim.end_calls([winner], CallStatus.COMPLETED)
            run.wait(None, lambda: is_final(winner.status))
    with run.sim.cond:
        state.done = True
    params = _result(state)
    run.log("dial_result", **{k: v for k, v in params.items()})
    return _after(run, action, method, params)


def _star_pressed(run: CallRunner, item: Verb) -> bool:
    """hangupOnStar: has the caller pressed * (pure check; see _take_star)."""
    if not item.bool_attr("hangupOnStar", False):
        return False
    return any(kind == "dtmf" and value == "*" for kind, value in run.call.inputs)


def _take_star(run: CallRunner) -> None:
    with run.sim.cond:
        for index, (kind, value) in enumerate(run.call.inputs):
            if kind == "dtmf" and value == "*":
                del run.call.inputs[index]
                return


def _result(state: DialState) -> dict[str, str]:
    winner = state.winner
    if winner is not None:
        return {
            "DialCallStatus": "completed",
            "DialCallSid": winner.sid,
            "DialCallDuration": str(winner.duration),
            "DialBridged": "true" if state.bridged else "false",
        }
    statuses = {c.status for c in state.children}
    for status in (CallStatus.BUSY, CallStatus.FAILED, CallStatus.NO_ANSWER, CallStatus.CANCELED):
        if status in statuses:
            break
    params = {"DialCallStatus": status.value, "DialBridged": "false"}
    if len(state.children) == 1:
        params["DialCallSid"] = state.children[0].sid
    return params


def _after(run: CallRunner, action: str | None, method: str, params: dict[str, str]) -> NextDoc | None:
    if not action:
        return None
    return run.fetch(action, method, params, "dial")


def _parent_gone(run: CallRunner, state: DialState, action: str | None, method: str) -> NextDoc | None:
    """Caller hung up (or the API ended/redirected the call) during the Dial."""
    with run.sim.cond:
        state.done = True
        live = [c for c in state.children if not is_final(c.status)]
    for child in live:
        run.sim.end_calls(
            [child], CallStatus.COMPLETED if child.status is CallStatus.IN_PROGRESS else CallStatus.CANCELED
        )
    run.wait(None, lambda: all(is_final(c.status) for c in state.children))
    params = _result(state)
    run.log("dial_result", **params)
    if action and (run.call.remote_hangup or run.call.cancel_status is not None):
        run.post(resolve(run.doc_url, action), method, run.params(CallStatus="completed", **params), "dial")
    run.check()
    return None


def run_child_leg(run: CallRunner) -> None:
    """Thread body of a <Dial> child leg: ring, claim the bridge, whisper, stay until hung up."""
    state: DialState = run.dial_state
    outcome = ring(run)
    if outcome is not None:
        raise CallEnded(outcome, "ring")
    with run.sim.cond:
        lost = state.winner is not None or state.done
        if not lost:
            state.winner = run.call
    if lost:
        raise CallEnded(CallStatus.CANCELED, "api")
    run.answer()
    whisper = state.whisper.get(run.call.sid)
    if whisper:
        run.execute(run.fetch(whisper[0], whisper[1], None, "whisper"))
        run.check()
    with run.sim.cond:
        state.bridged = True
    run.log("bridged", parent_call_sid=state.parent.sid)
    run.wait(None)
    run.check()
