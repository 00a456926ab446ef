"""The audit timeline as sentences people read in a crisis: "15:07 Called Chen Wei: no answer after 25 s".

One pure function from an audit event (kind, actor, detail) to an English sentence with
`%(name)s` placeholders, translated through the `tr` it is given before the values go in, so a
translation may reorder them. People and incident types appear by name, never by config key.
The raw event stays available to admins behind a toggle; nothing is lost by the wording.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hotline.web.i18n import N_

Translate = Callable[..., str]

# Callout outcomes of one call, as the person's side of it.
OUTCOME_SENTENCES = {
    "no_answer": N_("Called %(name)s: no answer after %(seconds)s s"),
    "busy": N_("Called %(name)s: busy or declined"),
    "declined": N_("Called %(name)s: they passed"),
    "machine": N_("Called %(name)s: voicemail answered"),
    "no_key": N_("Called %(name)s: answered but pressed no key"),
    "failed": N_("Called %(name)s: the call failed"),
    "canceled": N_("Called %(name)s: the call was ended"),
    "accepted": N_("Called %(name)s: accepted"),
    "too_late": N_("Called %(name)s: pressed 1 after someone else accepted"),
}
STATUS_SENTENCES = {
    "recorded": N_("The caller's recording arrived"),
    "paging": N_("Paging"),
    "unacknowledged": N_("Nobody has accepted after every round; calling everyone again"),
    "stopped": N_("%(who)s stopped paging: %(reason)s"),
    "accepted": N_("Accepted for %(name)s by %(who)s"),
    "closed": N_("%(who)s closed the incident"),
    "new": N_("%(who)s reopened it; paging again"),
}
SIMPLE = {
    "callout_requested": N_("Paging requested"),
    "callout.unacknowledged": N_("Nobody answered in any round; everyone is called again"),
    "callout.closed_out": N_("The other calls were ended after the accept"),
    "callout.joined": N_("Joined the paging already running for reports of this type"),
    "callout.live_connect_ended": N_("The connection to the caller ended"),
    "lifeline_forward": N_("The caller was forwarded to the lifeline"),
    "lifeline_forward_ended": N_("The lifeline call ended"),
    "voice_update": N_("An update was recorded by phone"),
    "recording_missing": N_("The caller left no recording"),
}
# A crisis plan's lines (hotline/crisis): who activated it, who was called for the team, the
# checklist, the statements, the bridge, the dark site. Roles appear by name (`Names.roles`).
CRISIS = {
    "crisis.activated": N_("%(who)s activated the crisis plan: the team is being called"),
    "crisis.false_alarm": N_("%(who)s marked it a false alarm: %(note)s"),
    "crisis.member_confirmed": N_("%(name)s (%(role)s) confirmed for the crisis team"),
    "crisis.step_done": N_("%(who)s marked a checklist step done"),
    "crisis.step_reopened": N_("%(who)s reopened a checklist step"),
    "crisis.statement_drafted": N_("%(who)s drafted a statement"),
    "crisis.statement_published": N_("%(who)s approved and published a statement"),
    "crisis.statement_not_broadcast": N_("The statement was not sent to staff: %(reason)s"),
    "crisis.dark_site_on": N_("%(who)s switched the dark site on"),
    "crisis.dark_site_off": N_("%(who)s switched the dark site off"),
    "crisis.bridge_join": N_("%(name)s joined the crisis bridge"),
    "crisis.bridge_leave": N_("%(name)s left the crisis bridge"),
    "crisis.called": N_("Called %(name)s (%(role)s) for the crisis team"),
    "crisis.dial_failed": N_("Could not call someone for the crisis team: %(error)s"),
    "crisis.deputy_called_in": N_("No answer from %(lead)s (%(role)s): calling the deputy, %(deputy)s"),
    "crisis.sms": N_("Crisis team text message sent to %(to)s"),
    "crisis.drill_not_called": N_("Drill: %(name)s (%(role)s) was not called, not being in the drill"),
    "broadcast.drill_would_send": N_("Drill: a notice to staff was recorded, not sent"),
    "crisis.sms_failed": N_("Crisis team text message to %(to)s failed: %(error)s"),
    "crisis.step_overdue_sms": N_("Overdue step: a reminder was texted to %(to)s"),
    "crisis.step_overdue_sms_failed": N_("Overdue step: the reminder to %(to)s failed: %(error)s"),
    "crisis.update_due_sms": N_("The next statement is due: a reminder was texted to %(to)s"),
    "crisis.update_due_sms_failed": N_("The next statement is due: the reminder to %(to)s failed: %(error)s"),
    "crisis.activation_refused": N_("%(who)s may not activate the crisis plan: refused"),
    "crisis.proposed": N_("%(who)s proposed activating the crisis plan"),
    "crisis.proposal_sms": N_("The activation proposal was texted to %(to)s"),
    "crisis.proposal_sms_failed": N_("The activation proposal to %(to)s failed: %(error)s"),
}
OTHER = {
    "drill_preempted": N_("A real report stopped drill %(drill)s"),
    "transcribed": N_("The recording was transcribed"),
    "legal_hold": N_("%(who)s put it on legal hold: %(reason)s"),
    "legal_hold_released": N_("%(who)s released the legal hold: %(reason)s"),
    "retention_purged": N_("The retention policy deleted its recordings, transcripts, photos and voice memos"),
    "event_received": N_("Monitoring event from %(source)s: %(summary)s"),
    "event_repeated": N_("The monitoring event repeated: %(summary)s"),
    "event_activated": N_("Event rule %(rule)s activated the crisis plan"),
    "event_activation_refused": N_("Event rule %(rule)s did not activate the crisis plan: %(reason)s"),
    "review.started": N_("%(who)s started the post-incident review"),
    "review.findings_saved": N_("%(who)s saved the review's findings"),
    "review.action_added": N_("%(who)s added an action item for %(name)s"),
    "review.action_done": N_("%(who)s marked an action item done"),
    "review.action_open": N_("%(who)s reopened an action item"),
    "review.reminder_sent": N_("Reminder of a due action item sent to %(to)s"),
    "review.reminder_failed": N_("Reminder of a due action item to %(to)s failed: %(error)s"),
    "review.reminder_emailed": N_("Reminder of a due action item emailed to %(to)s"),
    "review.reminder_email_failed": N_("Reminder email of a due action item to %(to)s failed: %(error)s"),
    # A report by text (hotline/textreports): what the reporter was texted, their photos.
    "text.sent": N_("Texted to the reporter: %(body)s"),
    "text.message": N_("%(who)s texted the reporter: %(body)s"),
    "text.failed": N_("A text to the reporter failed: %(error)s"),
    "text.not_sent": N_("The reporter was not texted: they had replied STOP"),
    "text.photo_stored": N_("A photo the reporter texted was stored"),
    "text.photo_failed": N_("A photo the reporter texted could not be fetched yet: %(error)s"),
    # A report from the app (hotline/reportapp): the messages both ways.
    "app.message": N_("%(who)s wrote to the reporter in the app: %(body)s"),
    "app.reply": N_("%(name)s replied in the app: %(body)s"),
    "app.memo_stored": N_("The reporter's voice memo was stored"),
}
# A storm's reports regrouped by a person (hotline.paging.commands, rule 7): on both sides.
REGROUPED = {
    "incident_merged": N_("%(who)s merged this report into %(ref)s: %(reason)s"),
    "incident_merged_in": N_("%(who)s merged report %(ref)s into this incident: %(reason)s"),
    "incident_split": N_("%(who)s split this report out of the storm with %(refs)s, to be paged alone: %(reason)s"),
    "incident_split_off": N_("%(who)s split report %(ref)s out of this storm, to be paged alone: %(reason)s"),
}
SMS_ROLES = {"acceptor": N_("the person who accepted"), "caller": N_("the caller"), "others": N_("the others paged")}


@dataclass(frozen=True)
class Line:
    at: datetime
    kind: str
    text: str  # translated, values filled in
    tone: str = ""  # "" | "good" | "bad" | "note": how the row is marked
    actor: str = ""
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Names:
    """What the sentences need to say names instead of keys."""

    people: Mapping[str, str]  # person key -> name
    type_name: Callable[[str], str]
    ring_seconds: Mapping[int, float | None]  # attempt id -> seconds it rang
    roles: Mapping[str, str] = field(default_factory=dict)  # crisis role key -> its name

    def person(self, key: object) -> str:
        return self.people.get(str(key), str(key)) if key else "?"

    def role(self, key: object) -> str:
        return self.roles.get(str(key), str(key).replace("_", " ")) if key else "?"


def line(kind: str, actor: str, detail: Mapping[str, Any], at: datetime, names: Names, _: Translate) -> Line:
    text, tone = sentence(kind, actor, detail, names, _)
    return Line(at, kind, text, tone, actor, detail)


def sentence(kind: str, actor: str, d: Mapping[str, Any], names: Names, _: Translate) -> tuple[str, str]:
    """(the sentence, its tone) for one audit event."""
    who = names.person(actor) if actor in names.people else actor
    if kind in SIMPLE:
        return _(SIMPLE[kind]), ""
    if kind == "note":
        return _("%(who)s noted: %(note)s", who=who, note=d.get("text", "")), "note"
    if kind == "incident_created":
        kind_name = names.type_name(d.get("type", ""))
        return _("Report received from %(caller)s: %(type)s", caller=actor, type=kind_name), ""
    if kind == "severity_changed":
        return _("%(who)s changed the severity from %(old)s to %(new)s: %(reason)s", who=who,
                  old=_(str(d.get("old") or "unknown")), new=_(str(d.get("new") or "")), reason=d.get("reason", "")), ""
    if kind == "incident_reclassified":
        return _("Type changed from %(old)s to %(new)s", old=names.type_name(d.get("old", "")),
                  new=names.type_name(d.get("new", ""))), ""
    if kind == "incident_duplicate_of":  # migration 0017 found one call filed twice
        return _("The same call as %(ref)s, filed twice before an upgrade; read both", ref=d.get("of_ref", "?")), ""
    if kind in REGROUPED:
        refs = d.get("refs") or []
        return _(REGROUPED[kind], who=who, ref=d.get("into") or d.get("ref") or "?", reason=d.get("reason", ""),
                  refs=", ".join(str(r) for r in refs) if isinstance(refs, list) else str(refs)), ""
    if kind.startswith("status_"):
        status = kind.removeprefix("status_")
        template = STATUS_SENTENCES.get(status, N_("Status: %(status)s"))
        if status == "stopped" and d.get("action") == "snooze":
            template = N_("%(who)s snoozed paging for %(minutes)s min: %(reason)s")
        elif status == "new" and d.get("action") == "snooze ended":
            template = N_("The snooze ended; paging again")
        elif status == "new" and d.get("action") == "merge":
            template = N_("%(who)s merged it into %(into)s; it is paged with it")
        if status == "accepted" and names.person(d.get("person")) == who:
            template = N_("%(name)s accepted")  # not "Accepted for Chen Wei by Chen Wei"
        return _(template, who=who, status=_(status), reason=d.get("reason", ""),
                  name=names.person(d.get("person")), minutes=d.get("minutes", "?"), into=d.get("into", "?")), \
            "good" if status == "accepted" else ""
    if kind.endswith("_set"):
        field_name = kind.removesuffix("_set").replace("_", " ")
        value = d.get("value", "")
        return _("%(field)s: %(value)s", field=_(field_name), value=_(str(value))), ""
    if kind.startswith("recording_"):
        return _recording(kind, d, _)
    if kind.startswith("callout."):
        return _callout(kind, who, d, names, _)
    if kind in CRISIS or kind in OTHER:
        tone = "bad" if kind.endswith(("_failed", ".failed")) or kind == "crisis.statement_not_broadcast" else \
            "good" if kind in ("crisis.member_confirmed", "crisis.statement_published") else ""
        return _(CRISIS.get(kind) or OTHER[kind], who=who, name=names.person(d.get("person") or actor),
                  role=names.role(d.get("role")), note=d.get("note", ""), reason=d.get("reason", ""),
                  error=d.get("error", ""), to=d.get("to", ""), lead=names.person(d.get("lead")),
                  deputy=names.person(d.get("deputy")), drill=d.get("drill_id", "?"),
                  source=d.get("source", ""), summary=d.get("summary", ""), body=d.get("body", ""),
                  rule=d.get("rule", "")), tone
    return _("%(kind)s by %(who)s", kind=_readable(kind), who=who), ""


def _readable(kind: str) -> str:
    """An event this module has no sentence for, without its dotted key: "crisis notify"."""
    return kind.replace(".", " ").replace("_", " ").strip()


def _recording(kind: str, d: Mapping[str, Any], _: Translate) -> tuple[str, str]:
    seconds = d.get("seconds") or d.get("duration")
    if kind == "recording_reported":
        return _("The caller's recording is on its way (%(seconds)s s)", seconds=_num(seconds)), ""
    if kind == "recording_stored":
        return _("Recording stored (%(seconds)s s)", seconds=_num(seconds)), "good"
    if kind == "recording_failed":
        return _("The recording could not be fetched: %(error)s", error=d.get("error", "")), "bad"
    if kind == "recording_url_refused":
        return _("A recording address was refused: %(reason)s", reason=d.get("reason", "")), "bad"
    return kind, ""


def _callout(kind: str, who: str, d: Mapping[str, Any], names: Names, _: Translate) -> tuple[str, str]:
    name = names.person(d.get("person"))
    if kind == "callout.opened":
        policy = d.get("policy", "")
        if policy == "default" or not policy:
            return _("Paging started, in the default escalation order"), ""
        return _("Paging started, in the escalation order for %(policy)s", policy=names.type_name(policy)), ""
    if kind == "callout.dialed":
        return _("Calling %(name)s (round %(round)s)", name=name, round=d.get("round", "?")), ""
    if kind == "callout.attempt":
        outcome = str(d.get("outcome") or "")
        seconds = names.ring_seconds.get(int(d.get("attempt_id") or 0))
        template = OUTCOME_SENTENCES.get(outcome, N_("Called %(name)s: %(outcome)s"))
        if outcome == "no_answer" and seconds is None:
            template = N_("Called %(name)s: no answer")
        tone = "good" if outcome == "accepted" else "bad" if outcome in ("failed",) else ""
        return _(template, name=name, seconds=_num(seconds), outcome=_(outcome)), tone
    if kind == "callout.accepted":
        return _("%(name)s accepted", name=d.get("name") or who), "good"
    if kind == "callout.escalated" and "next_round" in d:
        return _("%(who)s started round %(round)s now instead of waiting", who=who, round=d["next_round"]), ""
    if kind == "callout.escalated":
        return _("%(who)s moved paging on from %(name)s to the next person", who=who, name=name), ""
    if kind == "callout.paged_directly":
        return _("%(who)s paged %(name)s directly", who=who, name=name), ""
    if kind == "callout.cancelled":
        return _("Paging ended"), ""  # the lifecycle's own line before it says who and why
    if kind == "callout.dial_failed":
        return _("Could not call %(name)s: %(error)s", name=name, error=d.get("error", "")), "bad"
    if kind == "callout.dial_retry":
        return _("The phone company did not place the call to %(name)s; trying again", name=name), "bad"
    if kind == "callout.watchdog":
        return _("No word from the call to %(name)s; moving on", name=name), "bad"
    if kind == "callout.sms_sent":
        return _("Text message sent to %(who)s (%(to)s)", who=_(SMS_ROLES.get(d.get("role", ""), N_("someone"))),
                  to=d.get("to", "")), ""
    if kind == "callout.sms_failed":
        return _("Text message to %(to)s failed: %(error)s", to=d.get("to", ""), error=d.get("error", "")), "bad"
    if kind == "callout.live_connect":
        return _("%(name)s was connected to the caller", name=who), "good"
    return _("%(kind)s by %(who)s", kind=_readable(kind), who=who), ""


def _num(value: Any) -> str:
    try:
        return f"{float(value):.0f}"
    except (TypeError, ValueError):
        return "?"
