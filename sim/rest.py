"""Twilio's REST subset at its real paths, so the unmodified `twilio` client works against it.

Errors use Twilio's JSON shape ({code, message, more_info, status}) and codes:
20003 bad credentials (401), 20404 not found, 21201 missing To (calls), 21211 invalid To,
21213 missing From, 21212 invalid From, 21205 missing/invalid Url, 21220 call not
in progress, 21604 missing To (messages), 21603 missing From, 21602 missing Body, 21610 a recipient who
texted STOP to that number, 20429 too many requests (messages beyond the configured per-second
limit, sim/delivery.py), 20001 a list filter Twilio cannot read (a date that is neither YYYY-MM-DD
nor an instant). List endpoints filter and page as sim/listing.py describes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, jsonify, request

from sim import audio, conference, listing
from sim.callstate import is_final
from sim.model import Call, CallOptions, Recording
from sim.numbers import is_valid_number

if TYPE_CHECKING:
    from sim.server import Sim

PREFIX = "/2010-04-01/Accounts/<account>"


def twilio_error(code: int, message: str, status: int = 400) -> Response:
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    resp = jsonify(body)
    resp.status_code = status
    return resp


def _events(values: list[str], default: frozenset[str]) -> frozenset[str]:
    words = {w for v in values for w in v.replace(",", " ").split()}
    return frozenset(words) if words else default


def _is_url(value: str) -> bool:
    return value.startswith(("http://", "https://"))


def _started(call: Call) -> float | None:
    return call.start_time


def _ended(call: Call) -> float | None:
    return call.end_time


def _created(rec: Recording) -> float | None:
    return rec.start_time


def rest_blueprint(sim: Sim) -> Blueprint:
    bp = Blueprint("twilio_rest", __name__)

    def authed(fn: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(fn)
        def wrapper(account: str, *args: Any, **kwargs: Any) -> Any:
            auth = request.authorization
            if (
                auth is None
                or auth.username != sim.account_sid
                or auth.password != sim.auth_token
                or account != sim.account_sid
            ):
                resp = twilio_error(20003, "Authenticate", 401)
                resp.headers["WWW-Authenticate"] = 'Basic realm="Twilio API"'
                return resp
            return fn(account, *args, **kwargs)

        return wrapper

    def not_found() -> Response:
        return twilio_error(20404, f"The requested resource {request.path} was not found", 404)

    # -- calls -------------------------------------------------------------------------------
    @bp.post(PREFIX + "/Calls.json")
    @authed
    def create_call(account: str) -> Any:
        form = request.form
        to, from_ = form.get("To", "").strip(), form.get("From", "").strip()
        url, twiml = form.get("Url"), form.get("Twiml")
        if not to:
            return twilio_error(21201, "No 'To' number is specified")
        if not is_valid_number(to):
            return twilio_error(21211, f"The 'To' number {to} is not a valid phone number.")
        if not from_:
            return twilio_error(21213, "No 'From' number is specified")
        if not (is_valid_number(from_) or from_ in sim.numbers):
            return twilio_error(21212, f"The 'From' number {from_} is not a valid phone number or caller ID.")
        if not twiml and not (url and _is_url(url)):
            return twilio_error(21205, f"Url is not a valid URL: {url or ''}")
        machine = form.get("MachineDetection")
        opts = CallOptions(
            url=url,
            method=form.get("Method", "POST").upper(),
            twiml=twiml,
            fallback_url=form.get("FallbackUrl"),
            fallback_method=form.get("FallbackMethod", "POST").upper(),
            status_callback=form.get("StatusCallback"),
            status_callback_method=form.get("StatusCallbackMethod", "POST").upper(),
            status_callback_events=_events(form.getlist("StatusCallbackEvent"), frozenset({"completed"})),
            timeout=max(1, min(600, int(form.get("Timeout", 60)))),
            machine_detection=machine if machine in ("Enable", "DetectMessageEnd") else None,
            async_amd=form.get("AsyncAmd", "false").lower() == "true",
            async_amd_callback=form.get("AsyncAmdStatusCallback"),
            async_amd_method=form.get("AsyncAmdStatusCallbackMethod", "POST").upper(),
            record=form.get("Record", "false").lower() == "true",
            recording_status_callback=form.get("RecordingStatusCallback"),
            recording_status_callback_method=form.get("RecordingStatusCallbackMethod", "POST").upper(),
            recording_status_callback_events=_events(
                form.getlist("RecordingStatusCallbackEvent"), frozenset({"completed"})
            ),
            send_digits=form.get("SendDigits"),
            time_limit=int(form.get("TimeLimit", 14400)),
        )
        if sim.create_delay:
            time.sleep(sim.create_delay)  # outside the lock: other requests go on meanwhile
        hold = sim.take_create_hold()
        if hold is not None:
            hold.wait()  # outside the lock too
        fault = sim.take_rest_fault(to)
        if fault is not None:
            status, code = fault
            return twilio_error(code, f"injected error {code} for {to}", status)
        return jsonify(sim.create_outbound_call(to, from_, opts)), 201

    @bp.get(PREFIX + "/Calls.json")
    @authed
    def list_calls(account: str) -> Any:
        with sim.cond:
            calls = sim.call_objects()
            filters = {"To": "to", "From": "from_", "Status": "status", "ParentCallSid": "parent_sid"}
            for param, attr in filters.items():
                wanted = request.args.get(param)
                if wanted:
                    calls = [c for c in calls if str(getattr(c, attr)) == wanted]
            try:
                started = listing.date_filter(request.args, "StartTime", _started)
                ended = listing.date_filter(request.args, "EndTime", _ended)
            except listing.BadFilter as exc:
                return twilio_error(20001, str(exc))
            calls = [c for c in calls if started(c) and ended(c)]
            calls.sort(key=lambda c: c.created, reverse=True)
            return jsonify(_page("calls", [c.to_json() for c in calls]))

    @bp.route(PREFIX + "/Calls/<sid>.json", methods=["GET", "POST", "DELETE"])
    @authed
    def call_instance(account: str, sid: str) -> Any:
        call = sim.call_object(sid)
        if call is None:
            return not_found()
        if request.method == "DELETE":
            return "", 204
        if request.method == "POST":
            form = request.form
            status = form.get("Status")
            if is_final(call.status):
                return twilio_error(21220, "Call is not in-progress. Cannot redirect.")
            url, twiml = form.get("Url"), form.get("Twiml")
            if not status and not twiml and not (url and _is_url(url)):
                return twilio_error(21205, f"Url is not a valid URL: {url or ''}")
            sim.update_call(sid, url, form.get("Method", "POST").upper(), twiml, status)
        with sim.cond:
            return jsonify(call.to_json())

    @bp.get(PREFIX + "/Conferences.json")
    @authed
    def list_conferences(account: str) -> Any:
        rooms = [c for c in conference.listing(sim) if request.args.get("Status") in (None, c["status"])]
        return jsonify(_page("conferences", rooms))

    @bp.get(PREFIX + "/Conferences/<sid>/Participants.json")
    @authed
    def list_participants(account: str, sid: str) -> Any:
        room = next((c for c in conference.listing(sim) if c["sid"] == sid), None)
        if room is None:
            return not_found()
        return jsonify(_page("participants", [{"call_sid": c, "conference_sid": sid, "account_sid": sim.account_sid}
                                              for c in room["participants"]]))

    # -- messages -------------------------------------------------------------------------------
    @bp.post(PREFIX + "/Messages.json")
    @authed
    def create_message(account: str) -> Any:
        form = request.form
        to, from_ = form.get("To", "").strip(), form.get("From", "").strip()
        service = form.get("MessagingServiceSid")
        body, media = form.get("Body", ""), form.getlist("MediaUrl")
        if not to:
            return twilio_error(21604, "A 'To' phone number is required.")
        if not is_valid_number(to):
            return twilio_error(21211, f"The 'To' number {to} is not a valid phone number.")
        if not from_ and not service:
            return twilio_error(21603, "A 'From' phone number is required.")
        if not body and not media:
            return twilio_error(21602, "Message body is required.")
        with sim.cond:
            unsubscribed = (from_, to) in sim.opted_out
        if unsubscribed:  # the recipient texted STOP to this number (sim/messaging.py)
            return twilio_error(21610, "Attempt to send to unsubscribed recipient")
        if not sim.delivery.admit():
            return twilio_error(20429, "Too Many Requests", 429)
        created = sim.send_message(
            to, from_ or service or "", body, form.get("StatusCallback"), media, service
        )
        return jsonify(created), 201

    @bp.get(PREFIX + "/Messages.json")
    @authed
    def list_messages(account: str) -> Any:
        msgs = [m for m in sim.messages if request.args.get("To") in (None, m.to)]
        return jsonify(_page("messages", [m.to_json() for m in reversed(msgs)]))

    @bp.get(PREFIX + "/Messages/<sid>.json")
    @authed
    def message_instance(account: str, sid: str) -> Any:
        msg = sim.message(sid)
        return jsonify(msg.to_json()) if msg else not_found()

    # -- recordings -----------------------------------------------------------------------------
    @bp.get(PREFIX + "/Recordings.json")
    @authed
    def list_recordings(account: str) -> Any:
        """Newest first; CallSid, ConferenceSid (the sim records no conferences) and DateCreated filters."""
        uri = f"/2010-04-01/Accounts/{sim.account_sid}/Recordings"
        try:
            created = listing.date_filter(request.args, "DateCreated", _created)
        except listing.BadFilter as exc:
            return twilio_error(20001, str(exc))
        recs = [r for r in sim.recordings if request.args.get("CallSid") in (None, r.call_sid)
                and not request.args.get("ConferenceSid") and created(r)]
        recs.sort(key=lambda r: r.start_time, reverse=True)
        return jsonify(_page("recordings", [r.to_json(uri, sim.recording_url(r.sid)) for r in recs]))

    @bp.get(PREFIX + "/Recordings/<name>")
    def recording_media(account: str, name: str) -> Any:
        """Media is public by default on Twilio (no auth); `.json` metadata needs credentials."""
        sid, _, ext = name.partition(".")
        rec = sim.recording(sid) if account == sim.account_sid else None
        if rec is None:
            return not_found()
        if ext == "json":
            return authed(lambda account: jsonify(rec.to_json(f"/2010-04-01/Accounts/{account}/Recordings",
                                                              sim.recording_url(rec.sid))))(account)
        if ext == "mp3":
            return Response(audio.to_mp3(rec.wav), mimetype="audio/mpeg")
        if ext in ("", "wav"):
            return Response(rec.wav, mimetype="audio/x-wav")
        return not_found()

    @bp.get(PREFIX + "/Messages/<message>/Media/<media>")
    @authed
    def message_media(account: str, message: str, media: str) -> Any:
        """An inbound MMS's file, as its MediaUrl serves it (with credentials: the account's
        "HTTP Basic Authentication for media" setting); `sim.media_faults` fail the next ones."""
        found = sim.media(media)
        if found is None:
            return not_found()
        with sim.cond:
            if sim.media_faults > 0:
                sim.media_faults -= 1
                return twilio_error(20500, "Internal Server Error", 500)
        return Response(found[0], mimetype=found[1])

    def _page(key: str, items: list[dict[str, Any]]) -> dict[str, Any]:
        return listing.page(request.path, request.args, key, items)

    return bp
