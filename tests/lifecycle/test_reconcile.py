"""The reconciliation with the provider (`hotline.paging.reconcile`) decides, for each recording
Twilio holds and we do not, whose it is: a caller's is attached to their incident; one of an
inbound call to our number that we never heard of (the TwiML Bin took it) becomes a report with
the caller's number; an operator's call and an outbound call are not reports and are left alone.
The sim holds the recordings as Twilio would after callbacks that reached nobody.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select

from hotline.base.cycle import CycleReport
from hotline.base.models import Call, CallEvent, Incident, Recording, utcnow
from hotline.paging import commands, incidents, reconcile
from hotline.paging.models import ReconcileMark
from hotline.provider import rest
from sim.audio import beep_pcm, pcm_to_wav
from sim.model import new_sid
from tests.support.e2e import CHEN, quiet_phones  # noqa: F401  (autouse)
from tests.support.sandbox import HOTLINE, Hotline

WAV = pcm_to_wav(beep_pcm(1.0, 440.0))


def _held_recording(h: Hotline, call_sid: str) -> str:
    """Twilio holds a recording of this call; its callback never reached us."""
    call = h.sim.call_object(call_sid)
    assert call is not None
    return h.sim.store_recording(call, new_sid("RE"), WAV, h.sim.now()).sid


@contextmanager
def _nothing_of_ours_answers(h: Hotline, callbacks_too: bool = False) -> Iterator[None]:
    """Every node down: the number's URL reaches nobody and there is no fallback of ours; with
    `callbacks_too`, its status callbacks reach nobody either."""
    number = h.sim.numbers[HOTLINE]
    saved = number.voice_url, number.voice_fallback_url, number.status_callback
    number.voice_url, number.voice_fallback_url = "http://127.0.0.1:9/voice", None
    if callbacks_too:
        number.status_callback = None
    try:
        yield
    finally:
        number.voice_url, number.voice_fallback_url, number.status_callback = saved


def _ended(h: Hotline, handle) -> None:  # type: ignore[no-untyped-def]
    handle.hangup()
    h.wait_for(lambda: handle.status in ("completed", "canceled"), what=f"call {handle.sid} over")


def test_reconciliation_attaches_callers_recordings_files_the_bins_and_leaves_the_rest(h: Hotline) -> None:
    # A caller who chose a type; the recording of their call is at Twilio only.
    caller = h.sim.dial("+886955200001", HOTLINE)
    caller.expect_gather()
    caller.press("1")
    caller.expect_gather()
    known = h.wait_for(lambda: h.incident_for(caller.sid), what="the caller's incident")
    # A call to our number while nothing of ours answered: the sim's only record of it.
    with _nothing_of_ours_answers(h):
        binned = h.sim.dial("+886955200002", HOTLINE)
        binned.expect_hangup()
    # A role call: an admin who entered the admin PIN behind `*` (the call is marked as the PIN
    # path marks it) to record a prompt; and one of our outbound calls.
    operator = h.sim.dial("+886955200003", HOTLINE)
    operator.expect_gather()
    with h.session() as s:
        incidents.mark_call(s, operator.sid, "+886955200003", HOTLINE, "admin")
    _ended(h, operator)
    outbound = rest.client().calls.create(to=CHEN, from_=HOTLINE, url=f"{h.public_url}/voice/incoming")
    h.sim.hangup(outbound.sid)

    sids = {name: _held_recording(h, sid) for name, sid in
            (("caller", caller.sid), ("bin", binned.sid), ("operator", operator.sid), ("outbound", outbound.sid))}
    window = reconcile._window(h.config)
    window.next_at = None
    window.since = window.calls_since = datetime.fromtimestamp(h.sim.now() - 3600, UTC)  # the sim's clock is virtual
    report = CycleReport()
    reconcile.reconcile(utcnow(), report)

    assert sorted(report["recordings_found"]) == sorted([sids["caller"], sids["bin"]])
    assert report["missed_calls"] == []  # the Bin's caller left a message: a report, not a missed call
    with h.session() as s:
        rows = {r.sid: r for r in s.scalars(select(Recording).where(Recording.sid.in_(list(sids.values()))))}
        assert set(rows) == {sids["caller"], sids["bin"]}
        assert rows[sids["caller"]].incident_id == known.id and rows[sids["caller"]].kind == "report"
        filed = s.scalar(select(Incident).join(Call, Call.incident_id == Incident.id).where(Call.sid == binned.sid))
        assert filed is not None and rows[sids["bin"]].incident_id == filed.id
        assert filed.caller == "+886955200002" and filed.source == "fallback" and filed.page_due_at is not None
        assert filed.page_due_at <= utcnow()  # the message is taken: paging is due now
    assert {sids["operator"], sids["outbound"]} <= set(window.not_ours)

    # A second look finds nothing new, and asks Twilio for nothing about the calls it left alone.
    window.next_at = None
    again = CycleReport()
    reconcile.reconcile(utcnow(), again)
    assert not again["recordings_found"]
    _ended(h, caller)


def test_a_bin_message_filed_by_its_callback_gets_the_callers_number_from_twilio(h: Hotline) -> None:
    """The Bin is static TwiML: its recording callback carries no caller number, so the message is
    filed without one (as /voice/recording-status does, through the same command); the next look
    at Twilio puts the caller's number on it."""
    with _nothing_of_ours_answers(h):
        binned = h.sim.dial("+886955200004", HOTLINE)
        binned.expect_hangup()
    with h.session() as s:
        taken = commands.take_message(s, call_sid=binned.sid, caller_raw=None, to_raw=None, caller=None,
                                      callback=None, lang=h.config.default_language,
                                      record_max_seconds=h.config.record_max_seconds)
    incident_id = taken.incident_ids[0]
    assert h.incident_for(binned.sid).caller is None
    window = reconcile._window(h.config)
    window.next_at = None
    report = CycleReport()
    reconcile.reconcile(utcnow(), report)
    assert report["callers_found"] == [incident_id]
    found = h.incident_for(binned.sid)
    assert found.caller == "+886955200004" and found.callback_number == "+886955200004"


def test_a_caller_who_reached_nobody_and_left_no_message_is_on_the_call_back_list(h: Hotline) -> None:
    """Every node down and the caller hung up before the Bin's beep (here: nothing answered at
    all): Twilio's call list is our only trace of them. They are an abandoned call, as if they had
    hung up in our menu before choosing, with their number for the call back; nothing is paged."""
    with _nothing_of_ours_answers(h, callbacks_too=True):
        missed = h.sim.dial("+886955200005", HOTLINE)
        missed.expect_hangup()
    ongoing = h.sim.dial("+886955200006", HOTLINE)  # still in our menu: not decided yet
    ongoing.expect_gather()
    with h.session() as s:
        ongoing_id = select(Call.id).where(Call.sid == ongoing.sid).scalar_subquery()
        s.execute(delete(CallEvent).where(CallEvent.call_id == ongoing_id))  # as if its webhooks had reached nobody
        s.execute(delete(Call).where(Call.sid == ongoing.sid))
    window = reconcile._window(h.config)
    window.next_at = None
    window.calls_since = datetime.fromtimestamp(h.sim.now() - 3600, UTC)  # the sim's clock is virtual
    report = CycleReport()
    reconcile.reconcile(utcnow(), report)

    assert report["missed_calls"] == [missed.sid]
    with h.session() as s:
        call = s.scalars(select(Call).where(Call.sid == missed.sid)).one()
        assert call.abandoned and call.incident_id is None and call.from_number == "+886955200005"
        assert s.scalar(select(Call).where(Call.sid == ongoing.sid)) is None
    assert any(e.detail.get("call_sid") == missed.sid for e in h.audit(None, "abandoned_call"))

    window.next_at = None
    again = CycleReport()
    reconcile.reconcile(utcnow(), again)
    assert again["missed_calls"] == []  # filed once
    _ended(h, ongoing)


def test_after_a_weekend_down_the_first_look_reaches_back_to_where_the_last_one_left_off(h: Hotline) -> None:
    """Every node down from Friday night: the Bin took a message on Saturday. On Monday a new
    process starts; its first look must reach back to where the last look left off (kept in the
    database), not a fixed day, or Saturday's caller is never paged."""
    with _nothing_of_ours_answers(h):
        binned = h.sim.dial("+886955200007", HOTLINE)
        binned.expect_hangup()
    call = h.sim.call_object(binned.sid)
    assert call is not None
    monday = datetime.fromtimestamp(h.sim.now(), UTC)
    saturday = h.sim.store_recording(call, new_sid("RE"), WAV, h.sim.now() - 2 * 86400).sid
    reconcile._windows.clear()  # a new process
    with h.session() as s:
        s.execute(delete(ReconcileMark))
        s.add_all([ReconcileMark(key=reconcile._mark_key(h.config, kind), since=monday - timedelta(days=3))
                   for kind in ("recordings", "calls")])
    report = CycleReport()
    reconcile.reconcile(monday, report)

    assert saturday in report["recordings_found"]
    assert h.incident_for(binned.sid).caller == "+886955200007"
    with h.session() as s:
        marks = {m.key.rsplit("|", 1)[1]: reconcile._aware(m.since) for m in s.scalars(select(ReconcileMark))}
    assert set(marks) == {"recordings", "calls"}
    assert all(since > monday - timedelta(hours=1) for since in marks.values()), marks  # the next look starts here
