"""One call's life on Twilio's side: ring, answer, fetch TwiML, run verbs, end, report.

Each call (inbound, outbound-api, or a <Dial> child leg) gets a CallRunner in its own
worker thread. Verb handlers (sim/verbs.py, sim/dial.py) receive the runner as their
context and use its small API: log, wait, play_media, fetch, post, inputs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from sim import twiml
from sim.callstate import CallStatus, check_transition, is_final, status_event
from sim.masking import masked_fields
from sim.model import Call
from sim.signing import call_params, resolve, status_callback_params
from sim.webhooks import WebhookResult, send

if TYPE_CHECKING:
    from sim.clock import Clock
    from sim.phones import Behaviour
    from sim.server import Sim

APP_ERROR_TEXT = "We are sorry, an application error has occurred. Goodbye."
LOOP_GUARD = 30  # documents fetched at one virtual instant before the call waits for the clock


class CallEnded(Exception):
    """Unwinds verb execution when the call is over."""

    def __init__(self, status: CallStatus, by: str) -> None:
        super().__init__(f"{status} by {by}")
        self.status = status
        self.by = by


class Redirected(Exception):
    """A REST update (Url/Twiml) replaced the call's current document."""


@dataclass
class NextDoc:
    verbs: list[twiml.Verb]
    url: str | None


Handler = Callable[["CallRunner", twiml.Verb], "NextDoc | None"]
VERBS: dict[str, Handler] = {}
H = TypeVar("H", bound=Handler)  # a handler keeps its own signature (Say's in_gather) once registered


def verb(name: str) -> Callable[[H], H]:
    """Register a TwiML verb handler; the parser accepts exactly the registered verbs."""

    def register(fn: H) -> H:
        VERBS[name] = fn
        return fn

    return register


class CallRunner:
    def __init__(self, sim: Sim, call: Call, behaviour: Behaviour) -> None:
        self.sim = sim
        self.call = call
        self.behaviour = behaviour
        self.doc_url: str | None = None
        self._in_fallback = False
        self._loop = (0.0, 0, 0)
        self.dial_state: Any = None  # set for <Dial> child legs (sim.dial.DialState)

    # -- small helpers used by handlers ---------------------------------------------------
    @property
    def clock(self) -> Clock:
        return self.sim.clock

    def now(self) -> float:
        return self.sim.clock.now()

    def log(self, kind: str, **fields: Any) -> dict[str, Any]:
        with self.sim.cond:
            if self.call.secret_input:
                fields = masked_fields(kind, fields)
            return self.sim.log_event(self.call, kind, **fields)

    def interrupted(self) -> bool:
        c = self.call
        return c.remote_hangup or c.cancel_status is not None or c.pending_redirect is not None

    def check(self) -> None:
        """Raise if the call was hung up, ended by the API, or redirected."""
        c = self.call
        if c.cancel_status is not None:
            raise CallEnded(c.cancel_status, "api")
        if c.remote_hangup:
            raise CallEnded(CallStatus.COMPLETED, "remote")
        if c.pending_redirect is not None:
            raise Redirected()

    def wait(self, deadline: float | None, until: Callable[[], bool] = lambda: False) -> bool:
        """Wait for `until()` or the deadline; hang-ups/redirects are left for check()."""
        with self.sim.cond:
            return (
                self.clock.wait_until(deadline, lambda: until() or self.interrupted(), self.call.sid)
                and until()
            )

    def has_dtmf(self) -> bool:
        return any(kind == "dtmf" for kind, _ in self.call.inputs)

    def pop_dtmf(self) -> str | None:
        with self.sim.cond:
            for index, (kind, value) in enumerate(self.call.inputs):
                if kind == "dtmf":
                    del self.call.inputs[index]
                    return str(value)
        return None

    def play_media(
        self, seconds: float, interruptible: bool = False, forever: bool = False, silence: bool = False
    ) -> bool:
        """Let `seconds` of audio pass; True if a key press interrupted it (inside a Gather).

        In virtual time, Say/Play take no clock time by default (media_time="instant") so tests
        flow through prompts; <Pause> (silence) and endlessly looping media always wait on the clock.
        """
        if interruptible and self.has_dtmf():
            return True
        if self.clock.virtual and self.sim.media_time == "instant" and not (forever or silence):
            return False
        until = self.has_dtmf if interruptible else (lambda: False)
        self.wait(self.now() + max(seconds, 0.05 if forever else 0.0), until)
        self.check()
        return interruptible and self.has_dtmf()

    def input_point(self, kind: str) -> None:
        """Let the phone's behaviour act at a Gather/Record (scripted humans press/speak here)."""
        self.behaviour.on_input_point(kind, self.call, self.sim.remote_control(self.call.sid))

    # -- HTTP -----------------------------------------------------------------------------
    def post(self, url: str, method: str, params: dict[str, str], purpose: str) -> WebhookResult:
        result = send(url, method, params, self.sim.auth_token, self.sim.webhook_timeout)
        self.log(**result.log_entry(purpose))
        return result

    def post_async(self, url: str | None, method: str, params: dict[str, str], purpose: str) -> None:
        if url:
            self.sim.spawn(lambda: self.post(url, method, params, purpose), f"{purpose}-{self.call.sid[-6:]}")

    def params(self, **extra: str) -> dict[str, str]:
        with self.sim.cond:
            params = call_params(self.call)
        params.update({k: v for k, v in extra.items() if v is not None})
        return params

    def fetch(
        self, url: str, method: str, extra: dict[str, str] | None = None, purpose: str = "voice"
    ) -> NextDoc:
        """Fetch and parse a TwiML document, with Twilio's fallback and application-error behaviour."""
        self._loop_guard()
        target = resolve(self.doc_url, url)
        params = self.params(**(extra or {}))
        result = self.post(target, method, params, purpose)
        verbs, error = self._parse(result)
        if error is None:
            return NextDoc(verbs, target)
        self.log("error", code=error[0], message=error[1], url=target)
        fallback = self.call.options.fallback_url
        if fallback and not self._in_fallback:
            self._in_fallback = True
            fb_params = dict(params, ErrorCode=str(error[0]), ErrorUrl=target)
            fb_result = self.post(fallback, self.call.options.fallback_method, fb_params, "fallback")
            verbs, fb_error = self._parse(fb_result)
            if fb_error is None:
                return NextDoc(verbs, fallback)
            self.log("error", code=fb_error[0], message=fb_error[1], url=fallback)
        self.application_error()
        raise AssertionError("unreachable")

    def parse_inline(self, body: str) -> list[twiml.Verb]:
        try:
            return twiml.parse(body, VERBS)
        except twiml.TwimlError as exc:
            self.log("error", code=exc.code, message=exc.message, url=None)
            self.application_error()
            raise AssertionError("unreachable") from exc

    def _parse(self, result: WebhookResult) -> tuple[list[twiml.Verb], tuple[int, str] | None]:
        if not result.ok:
            return [], (result.error_code or 11200, result.error or "request failed")
        try:
            return twiml.parse(result.body, VERBS), None
        except twiml.TwimlError as exc:
            return [], (exc.code, exc.message)

    def _loop_guard(self) -> None:
        """Stop a TwiML loop without caller input (hold music + Redirect) spinning at one virtual instant."""
        if not self.clock.virtual:
            return
        at, count, inputs = self._loop
        now = self.now()
        fresh = now != at or inputs != self.call.input_count
        count = 1 if fresh else count + 1
        self._loop = (now, count, self.call.input_count)
        if count > LOOP_GUARD:
            self.log("loop_guard", message=f"{count} documents at one instant; waiting for the clock")
            self.wait(now + 1.0)
            self.check()
            self._loop = (self.now(), 1, self.call.input_count)

    def application_error(self) -> None:
        """Twilio's reaction to unusable TwiML: say the stock message and hang up."""
        if self.call.status in (CallStatus.QUEUED, CallStatus.RINGING):
            self.answer()
        self.log("say", text=APP_ERROR_TEXT, language="en-US", voice="woman", duration=3.5, loop=1)
        raise CallEnded(CallStatus.COMPLETED, "application-error")

    # -- lifecycle --------------------------------------------------------------------------
    def set_status(self, status: CallStatus) -> None:
        with self.sim.cond:
            call = self.call
            if call.status is status:
                return
            call.status = check_transition(call.status, status)
            call.updated = self.now()
            if status is CallStatus.IN_PROGRESS:
                call.start_time = self.now()
            if is_final(status):
                call.end_time = self.now()
            self.sim.log_event(call, "status", status=status.value)
        self.status_callback(status_event(status), status.value)

    def status_callback(self, event: str, status: str) -> None:
        opts = self.call.options
        if not opts.status_callback or event not in opts.status_callback_events:
            return
        with self.sim.cond:
            seq = self.call.status_seq
            self.call.status_seq += 1
            params = status_callback_params(self.call, status, seq, self.now())
        self.post(opts.status_callback, opts.status_callback_method, params, f"status:{event}")

    def answer(self) -> None:
        self.set_status(CallStatus.IN_PROGRESS)
        self.log("answered")

    def execute(self, doc: NextDoc) -> None:
        """Run documents until one runs out of verbs; follow REST redirects."""
        while True:
            try:
                self._run_documents(doc)
                return
            except Redirected:
                with self.sim.cond:
                    url, method, body = self.call.pending_redirect or (None, "POST", None)
                    self.call.pending_redirect = None
                self.log("redirect", url=url, method=method, twiml=body, source="api")
                doc = (
                    NextDoc(self.parse_inline(body), self.doc_url) if body else self.fetch(url or "", method)
                )

    def _run_documents(self, doc: NextDoc | None) -> None:
        while doc is not None:
            self.doc_url = doc.url
            following: NextDoc | None = None
            for item in doc.verbs:
                self.check()
                following = VERBS[item.name](self, item)
                if following is not None:
                    break
            doc = following

    def run(self) -> None:
        """Thread body: dispatch on direction, always finishing with a final status."""
        final, by = CallStatus.COMPLETED, "app"
        try:
            from sim.dial import run_child_leg  # local imports: these modules import the runner
            from sim.legs import run_inbound, run_outbound

            if self.call.direction == "inbound":
                run_inbound(self)
            elif self.call.direction == "outbound-dial":
                run_child_leg(self)
            else:
                run_outbound(self)
            final, by = (
                (self.call.status, "app") if is_final(self.call.status) else (CallStatus.COMPLETED, "app")
            )
        except CallEnded as ended:
            final, by = ended.status, ended.by
        except Exception as exc:  # noqa: BLE001 - a simulator bug must not leave the call dangling
            self.log("error", code=0, message=f"simulator error: {exc!r}", url=None)
            final = (
                CallStatus.FAILED if self.call.status is not CallStatus.IN_PROGRESS else CallStatus.COMPLETED
            )
        self.finish(final, by)

    def finish(self, status: CallStatus, by: str) -> None:
        if is_final(self.call.status):
            return
        if self.call.status is not CallStatus.IN_PROGRESS and status is CallStatus.COMPLETED:
            status = CallStatus.CANCELED if by in ("api", "remote") else status
        if self.call.status is CallStatus.IN_PROGRESS and status not in (
            CallStatus.COMPLETED,
            CallStatus.FAILED,
        ):
            status = CallStatus.COMPLETED
        if self.call.options.record and self.call.start_time is not None:
            from sim.recording import record_whole_call

            record_whole_call(self)
        self.log("hangup", by=by)
        self.set_status(status)


def start_runner(sim: Sim, runner: CallRunner) -> threading.Thread:
    return sim.spawn(runner.run, f"call-{runner.call.sid[-6:]}")
