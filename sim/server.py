"""The Sim: one simulated Twilio account with its numbers, phones, calls, messages and clock.

Everything mutable is guarded by a single condition variable (`Sim.cond`), which is also
the clock's; every change that a waiting call could care about logs an event, and logging
an event wakes the call and its parent. The HTTP side (REST + control API) lives in
sim/http.py; the script-like test API in sim/handle.py.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import sim.dial  # noqa: F401  - registers <Dial>
import sim.recording  # noqa: F401  - registers <Record>
import sim.verbs  # noqa: F401  - registers Say/Play/Pause/Gather/Redirect/Hangup/Reject
from sim import audio
from sim.callstate import CallStatus, is_final, update_outcome
from sim.clock import Clock
from sim.delivery import MessageRules
from sim.handle import CallHandle
from sim.model import Call, CallOptions, Message, Number, Recording, new_sid
from sim.numbers import ANONYMOUS, normalize_caller
from sim.phones import Manual, Phone
from sim.remote import RemoteParty, SimError
from sim.runner import CallRunner, start_runner

T = TypeVar("T")
HOLD_LIMIT = 120.0  # real seconds a held Calls.create waits at most (a test that never releases it)


class CreateHold:
    """A Calls.create held unanswered (`Sim.hold_next_create`): `arrived` is set once a request
    has taken it; it is answered once `release()` is called (or after HOLD_LIMIT)."""

    def __init__(self) -> None:
        self.arrived = threading.Event()
        self.released = threading.Event()

    def release(self) -> None:
        self.released.set()

    def wait(self) -> None:
        self.released.wait(HOLD_LIMIT)


class Sim(RemoteParty):
    def __init__(
        self,
        account_sid: str | None = None,
        auth_token: str | None = None,
        virtual_time: bool = True,
        webhook_timeout: float = 15.0,
        media_time: str = "instant",
        control_token: str | None = None,
    ) -> None:
        self.account_sid = account_sid or new_sid("AC")
        self.auth_token = auth_token or secrets.token_hex(16)
        self.webhook_timeout = webhook_timeout
        self.control_token = control_token  # when set, /sim/api answers only requests carrying it (sim/control.py)
        self.media_time = media_time  # virtual clock only: "instant" or "clock" (media consumes virtual time)
        self.cond = threading.Condition(threading.RLock())
        self.clock = Clock(self.cond, virtual=virtual_time)
        self.numbers: dict[str, Number] = {}
        self.opted_out: set[tuple[str, str]] = set()  # (our number, sender) after STOP (sim/messaging.py)
        self.phones: dict[str, Phone] = {}
        self._calls: dict[str, Call] = {}
        self._runners: dict[str, CallRunner] = {}
        self._messages: list[Message] = []
        self.delivery = MessageRules()  # messages per second, and each number's delivery outcome
        self._rest_faults: list[tuple[int, int]] = []  # (HTTP status, Twilio code) for the next Calls.create
        self.refused_calls: list[tuple[str, int]] = []  # (to, HTTP status) of each injected failure
        self.create_delay = 0.0  # real seconds each Calls.create takes before it answers (a slow Twilio)
        self._create_holds: list[CreateHold] = []  # hold_next_create's, in order; taken ones stay until stop
        self._recordings: dict[str, Recording] = {}
        self._media: dict[str, tuple[bytes, str]] = {}  # an MMS's media sid -> (bytes, content type)
        self.media_faults = 0  # the next this-many media downloads answer 500 (a provider hiccup)
        self.events: list[dict[str, Any]] = []
        self.api_base_url = ""
        self.front_url = ""  # another Sim of this account that serves its REST API (join)
        self.front_token: str | None = None
        self._http: Any = None

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        from sim.http import HttpServer

        self._http = HttpServer(self, host, port)
        self.api_base_url = self._http.start()
        return self.api_base_url

    def stop(self) -> None:
        with self.cond:
            live = [c for c in self._calls.values() if not is_final(c.status)]
            for hold in self._create_holds:
                hold.release()
        self.end_calls(live, CallStatus.COMPLETED)
        try:
            self.wait_for(
                lambda: True if all(is_final(c.status) for c in live) else None, 5.0, "calls to end"
            )
        except AssertionError:
            pass  # a worker stuck in a slow webhook; its thread is a daemon
        if self._http is not None:
            self._http.stop()
            self._http = None

    def join(self, front_url: str, control_token: str | None = None) -> None:
        """Run calls for an account whose REST API another Sim (`front_url`) serves, as Twilio runs
        calls on many media servers behind one API host. A recording made here is handed to the
        front (its control API, `control_token` if it has one) before any webhook names it, and its
        RecordingUrl names the front, where the app downloads it. For load generators that spread
        callers over processes, so their timings are not their own GIL's (bench/storm.py)."""
        self.front_url = front_url.rstrip("/")
        self.front_token = control_token

    # -- configuration -------------------------------------------------------------------------
    def add_number(
        self,
        phone_number: str,
        voice_url: str | None = None,
        voice_method: str = "POST",
        voice_fallback_url: str | None = None,
        voice_fallback_method: str = "POST",
        status_callback: str | None = None,
        status_callback_method: str = "POST",
        sms_url: str | None = None,
    ) -> Number:
        number = Number(
            phone_number,
            voice_url,
            voice_method.upper(),
            voice_fallback_url,
            voice_fallback_method.upper(),
            status_callback,
            status_callback_method.upper(),
            sms_url,
        )
        with self.cond:
            self.numbers[phone_number] = number
        return number

    def phone(self, number: str) -> Phone:
        with self.cond:
            if number not in self.phones:
                self.phones[number] = Phone(number, self)
            return self.phones[number]

    # -- time -----------------------------------------------------------------------------------
    def now(self) -> float:
        return self.clock.now()

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)

    def settle(self) -> None:
        """Virtual clock: wait until every call is parked. No-op in real time."""
        if self.clock.virtual:
            self.clock.settle()

    # -- calls ------------------------------------------------------------------------------------
    def dial(self, from_: str | None, to: str) -> CallHandle:
        """A phone calls one of the account's numbers (an inbound call to the app)."""
        number = self.numbers.get(to)
        if number is None or not number.voice_url:
            raise SimError(f"{to} is not a configured number with a VoiceUrl")
        caller = normalize_caller(from_)
        opts = CallOptions(
            url=number.voice_url,
            method=number.voice_method,
            fallback_url=number.voice_fallback_url,
            fallback_method=number.voice_fallback_method,
            status_callback=number.status_callback,
            status_callback_method=number.status_callback_method,
        )
        call = self._new_call(caller, to, "inbound", opts, phone_number_sid=number.sid)
        behaviour = (
            self.phones[caller].behaviour if caller != ANONYMOUS and caller in self.phones else Manual()
        )
        self._start(call, behaviour)
        return self.handle(call.sid)

    def fail_next_calls(self, status: int, code: int, times: int = 1) -> None:
        """Make the next `times` Calls.create answer as Twilio does when it fails: 429 rate
        limits, 5xx outages, 21211 invalid numbers. For tests of the app's retry logic."""
        with self.cond:
            self._rest_faults.extend([(status, code)] * times)

    def hold_next_create(self) -> CreateHold:
        """The next Calls.create waits unanswered, as a stuck or slow Twilio leaves a request, until
        the hold is released; then the call is created and answered as usual (a client that gave up
        meanwhile still gets its call placed, as with Twilio). For tests of what waits behind one
        slow request, without timing it."""
        hold = CreateHold()
        with self.cond:
            self._create_holds.append(hold)
        return hold

    def take_create_hold(self) -> CreateHold | None:
        """For Calls.create: the oldest hold no request has taken yet, now taken."""
        with self.cond:
            hold = next((h for h in self._create_holds if not h.arrived.is_set()), None)
            if hold is not None:
                hold.arrived.set()
            return hold

    def end_rest_faults(self) -> int:
        """The outage is over: the faults not yet taken are dropped (how many)."""
        with self.cond:
            left = len(self._rest_faults)
            self._rest_faults.clear()
            return left

    def take_rest_fault(self, to: str) -> tuple[int, int] | None:
        with self.cond:
            if not self._rest_faults:
                return None
            fault = self._rest_faults.pop(0)
            self.refused_calls.append((to, fault[0]))
            return fault

    def create_outbound_call(self, to: str, from_: str, options: CallOptions) -> dict[str, Any]:
        """Calls.create: the app calls a sim phone. Returns the resource as created (status queued)."""
        call = self._new_call(from_, to, "outbound-api", options)
        with self.cond:
            created = call.to_json()
        self._start(call, self.phone(to).behaviour)
        return created

    def create_child_call(self, parent: Call, to: str, from_: str, options: CallOptions, state: Any) -> Call:
        call = self._new_call(from_, to, "outbound-dial", options, parent_sid=parent.sid)
        runner = CallRunner(self, call, self.phone(to).behaviour)
        runner.dial_state = state
        with self.cond:
            self._runners[call.sid] = runner
        return call

    def start_calls(self, calls: Iterable[Call]) -> None:
        for call in calls:
            start_runner(self, self._runners[call.sid])

    def _new_call(self, from_: str, to: str, direction: str, opts: CallOptions, **kw: Any) -> Call:
        call = Call(new_sid("CA"), self.account_sid, from_, to, direction, self.now(), opts, **kw)
        with self.cond:
            self._calls[call.sid] = call
            self.log_event(call, "created", direction=direction, **{"from": from_, "to": to})
        return call

    def _start(self, call: Call, behaviour: Any) -> None:
        runner = CallRunner(self, call, behaviour)
        with self.cond:
            self._runners[call.sid] = runner
        start_runner(self, runner)

    def spawn(self, fn: Callable[[], Any], name: str) -> threading.Thread:
        """Run `fn` in a worker thread that the virtual clock waits for."""

        def body() -> None:
            try:
                fn()
            finally:
                self.clock.worker_finished()

        with self.cond:
            self.clock.worker_started()
        thread = threading.Thread(target=body, name=f"sim-{name}", daemon=True)
        thread.start()
        return thread

    def end_calls(self, calls: Iterable[Call], status: CallStatus) -> None:
        with self.cond:
            for call in calls:
                if not is_final(call.status):
                    call.cancel_status = status
                    self.clock.kick(call.sid)

    def _call(self, sid: str) -> Call:
        call = self._calls.get(sid)
        if call is None:
            raise SimError(f"no call {sid}")
        return call

    # -- REST-side operations -----------------------------------------------------------------------
    def update_call(
        self, sid: str, url: str | None, method: str, twiml: str | None, status: str | None
    ) -> Call:
        with self.cond:
            call = self._call(sid)
            if status:
                outcome = update_outcome(call.status, status)
                if outcome is not None:
                    call.cancel_status = outcome
                    self.log_event(call, "api_update", status=status)
            elif url or twiml:
                call.pending_redirect = (url, method, twiml)
                if call.status is not CallStatus.IN_PROGRESS:  # applies once answered
                    call.options.url, call.options.method, call.options.twiml = url, method, twiml
                    call.pending_redirect = None
                self.log_event(call, "api_update", url=url, twiml=twiml)
            return call

    def send_message(
        self,
        to: str,
        from_: str,
        body: str,
        status_callback: str | None,
        media_urls: list[str],
        messaging_service_sid: str | None,
    ) -> dict[str, Any]:
        from sim.messaging import send_message

        return send_message(self, to, from_, body, status_callback, media_urls, messaging_service_sid)

    def receive_text(self, from_: str, to: str, body: str,
                     media: list[tuple[str | bytes, str]] | None = None) -> list[str]:
        """A phone texts one of the account's numbers; returns what was sent back. `media`:
        (url or the file's bytes, content type); bytes are kept and served as Twilio serves MMS media."""
        from sim.messaging import receive_text

        return receive_text(self, from_, to, body, media or [])

    def add_message(self, msg: Message) -> None:
        self._messages.append(msg)

    def store_recording(
        self, call: Call, sid: str, wav: bytes, start: float, source: str = "RecordVerb"
    ) -> Recording:
        rec = self.add_recording(sid, call.sid, wav, start, source)
        with self.cond:
            call.recording_sids.append(sid)
        if self.front_url:
            self._hand_to_front(rec)
        return rec

    def add_recording(self, sid: str, call_sid: str, wav: bytes, start: float, source: str = "RecordVerb") -> Recording:
        """Keep a recording of this account: made by one of our calls, or by a Sim that joined us."""
        rec = Recording(sid, self.account_sid, call_sid, wav, int(round(audio.duration(wav))), start, source)
        with self.cond:
            self._recordings[sid] = rec
        return rec

    def _hand_to_front(self, rec: Recording) -> None:
        import requests

        from sim.control import TOKEN_HEADER

        headers = {TOKEN_HEADER: self.front_token} if self.front_token else {}
        with requests.Session() as http:
            http.trust_env = False
            resp = http.post(f"{self.front_url}/sim/api/recordings", headers=headers, timeout=30,
                             data={"sid": rec.sid, "call_sid": rec.call_sid, "start_time": repr(rec.start_time),
                                   "source": rec.source},
                             files={"audio": (f"{rec.sid}.wav", rec.wav, "audio/x-wav")})
        resp.raise_for_status()

    def store_media(self, message_sid: str, data: bytes, content_type: str) -> str:
        """Keep an inbound MMS's file; returns its MediaUrl (credentials required, as with Twilio's
        "HTTP Basic Authentication for media" setting)."""
        sid = new_sid("ME")
        with self.cond:
            self._media[sid] = (data, content_type)
        return f"{self.api_base_url}/2010-04-01/Accounts/{self.account_sid}/Messages/{message_sid}/Media/{sid}"

    def media(self, sid: str) -> tuple[bytes, str] | None:
        with self.cond:
            return self._media.get(sid)

    def recording_url(self, sid: str) -> str:
        return f"{self.front_url or self.api_base_url}/2010-04-01/Accounts/{self.account_sid}/Recordings/{sid}"

    # -- event log ---------------------------------------------------------------------------------
    def log_event(self, call: Call, kind: str, **fields: Any) -> dict[str, Any]:
        """Record an event for `call` and wake whoever waits on it or its parent. Hold `cond`."""
        event = {"t": self.now(), "call_sid": call.sid, "kind": kind, **fields}
        self.append_event(event)
        call.events.append(event)
        runner = self._runners.get(call.sid)
        if runner is not None:
            runner.behaviour.on_event(call, event)
        self.clock.kick(call.sid)
        if call.parent_sid:
            self.clock.kick(call.parent_sid)
        return event

    def append_event(self, event: dict[str, Any]) -> None:
        event["seq"] = len(self.events) + 1
        self.events.append(event)
        self.cond.notify_all()

    def events_since(self, seq: int, limit: int = 1000) -> list[dict[str, Any]]:
        with self.cond:
            return self.events[seq : seq + limit]

    # -- inspection ----------------------------------------------------------------------------------
    def call_objects(self) -> list[Call]:
        with self.cond:
            return list(self._calls.values())

    def call_object(self, sid: str) -> Call | None:
        return self._calls.get(sid)

    def handle(self, sid: str) -> CallHandle:
        return CallHandle(self, self._call(sid))

    @property
    def calls(self) -> list[CallHandle]:
        return [CallHandle(self, c) for c in self.call_objects()]

    def get_call(self, sid: str) -> CallHandle:
        return self.handle(sid)

    @property
    def messages(self) -> list[Message]:
        with self.cond:
            return list(self._messages)

    def message(self, sid: str) -> Message | None:
        return next((m for m in self._messages if m.sid == sid), None)

    @property
    def recordings(self) -> list[Recording]:
        with self.cond:
            return list(self._recordings.values())

    def recording(self, sid: str) -> Recording | None:
        return self._recordings.get(sid)

    def wait_for(self, find: Callable[[], T | None], timeout: float, what: str) -> T:
        """Real-time bounded wait (for test code) until `find()` returns something."""
        end = time.monotonic() + timeout
        with self.cond:
            while True:
                found = find()
                if found is not None:
                    return found
                left = end - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
                self.cond.wait(min(left, 0.25))

    def log_json(self) -> dict[str, Any]:
        with self.cond:
            return {
                "account_sid": self.account_sid,
                "now": self.now(),
                "virtual_time": self.clock.virtual,
                "numbers": [n.to_json() for n in self.numbers.values()],
                "phones": [p.to_json() for p in self.phones.values()],
                "calls": [dict(c.to_json(), events=list(c.events)) for c in self._calls.values()],
                "messages": [m.to_json() for m in self._messages],
                "recordings": [r.to_json(self._recordings_uri()) for r in self._recordings.values()],
            }

    def _recordings_uri(self) -> str:
        return f"/2010-04-01/Accounts/{self.account_sid}/Recordings"
