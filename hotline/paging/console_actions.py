"""What the console's buttons do: each is one lifecycle command, acted as the logged-in user.

The console writes no incident or callout state itself, so an accept on someone's behalf is
indistinguishable from that person pressing 1, and closing one incident of a storm leaves the
callout paging for the others.
"""

from __future__ import annotations

from hotline.base import jobs
from hotline.base.lifecycle import Actor, Channel, Outcome
from hotline.base.runtime import get_runtime
from hotline.paging import commands
from hotline.rotas.policy import OncallSettings
from hotline.web.actions import Notice
from hotline.web.i18n import N_

MESSAGES = {  # what the admin reads after each command, by the command's outcome code
    "accepted": N_("Accepted."), "already_taken": N_("Already accepted by someone else."),
    "closed": N_("Incident closed."), "already_closed": N_("Already closed."), "stopped": N_("Paging stopped."),
    "not_paging": N_("Nothing is being paged."), "reason_required": N_("Say why paging should stop."),
    "paging_again": N_("Paging again."), "not_stopped": N_("Paging was not stopped."),
    "reopened": N_("Incident reopened."), "not_closed": N_("It is not closed."), "noted": N_("Note saved."),
    "empty_note": N_("Empty note."), "no_incident": N_("No such incident."),
    "snoozed": N_("Paging snoozed; it starts again by itself."),
    "bad_snooze": N_("Snooze for 15, 30 or 60 minutes."),
    "severity_changed": N_("Severity changed."), "same_severity": N_("The severity is that already."),
    "bad_severity": N_("No such severity."),
    "escalated": N_("Moved on: the next person is being called."),
    "next_round": N_("Going round again now: the first person is being called."),
    "nothing_ringing": N_("Nobody is being called right now."),
    "already_calling": N_("That person is being called already."),
    "closed_all": N_("Closed."), "merged": N_("Merged."), "split": N_("Split off: it has its own paging now."),
    "same_incident": N_("An incident cannot be merged into itself."),
    "cannot_merge": N_("Only a report nobody has accepted yet can be merged."),
    "target_not_ready": N_("That incident is closed or not being paged yet."),
    "not_in_storm": N_("It is not paged together with other reports."),
}


def _actor(user: str) -> Actor:
    return Actor(user, Channel.CONSOLE)


def _done(out: Outcome) -> Notice:
    if out.code == "already_taken" and out.accepted_by_name:
        return Notice(False, N_("Already accepted by %(name)s."), {"name": out.accepted_by_name})
    return Notice(out.ok, MESSAGES.get(out.code, out.message or out.code))


def accept_on_behalf(incident_id: int, person_key: str, actor: str, mine: bool = False) -> Notice:
    """The person said yes some other way (a call to the office, Signal): record it as theirs."""
    person = get_runtime().config.people.get(person_key)
    if person is None:
        return Notice(False, N_("Nobody called %(key)s is in the configuration."), {"key": person_key})
    out = jobs.run(commands.accept, person=person_key, name=person.name, incident_id=incident_id,
                   actor=_actor(actor))
    if not out.ok:
        return _done(out)
    return Notice(True, N_("You accepted it.")) if mine else Notice(
        True, N_("Accepted on behalf of %(name)s."), {"name": person.name})


def accept_myself(incident_id: int, person_key: str | None, actor: str) -> Notice:
    """A login linked to a person (`person` in its [console.users] entry) takes the incident as
    that person: the same command as their phone's 1, so the whole storm comes with it."""
    if not person_key:
        return Notice(False, N_("Your login is not linked to a person; accept on someone's behalf instead."))
    return accept_on_behalf(incident_id, person_key, actor, mine=True)


def stop_paging(incident_id: int, reason: str, actor: str) -> Notice:
    return _done(jobs.run(commands.stop_paging, incident_id, _actor(actor), reason))


def snooze(incident_id: int, minutes: str, reason: str, actor: str) -> Notice:
    """Stop paging for a set time; the convergence cycle pages it again when the time is up."""
    try:
        count = int(minutes)
    except ValueError:
        count = 0
    return _done(jobs.run(commands.snooze, incident_id, _actor(actor), count, reason))


def set_severity(incident_id: int, severity: str, reason: str, actor: str) -> Notice:
    return _done(jobs.run(commands.set_severity, incident_id, severity, _actor(actor), reason))


def escalate_now(incident_id: int, actor: str) -> Notice:
    return _done(jobs.run(commands.escalate_now, incident_id, _actor(actor)))


def page_person(incident_id: int, person_key: str, actor: str) -> Notice:
    """Ring one person now, beside the escalation order (a specialist, someone known to be awake)."""
    cfg = get_runtime().config
    person = cfg.people.get(person_key)
    if person is None:
        return Notice(False, N_("Nobody called %(key)s is in the configuration."), {"key": person_key})
    out = jobs.run(commands.page_person, incident_id, person_key, person.name, person.phone, _actor(actor),
                   cfg.section(OncallSettings).default_ring_timeout)
    if not out.ok:
        return _done(out)
    return Notice(True, N_("Calling %(name)s now."), {"name": person.name})


def page_again(incident_id: int, actor: str) -> Notice:
    return _done(jobs.run(commands.page_again, incident_id, _actor(actor)))


def close(incident_id: int, note: str, actor: str) -> Notice:
    """Close the incident; its callout stops too once no incident it covers needs it."""
    return _done(jobs.run(commands.resolve, incident_id, _actor(actor), note))


def reopen(incident_id: int, reason: str, actor: str) -> Notice:
    return _done(jobs.run(commands.reopen, incident_id, _actor(actor), reason))


def add_note(incident_id: int, note: str, actor: str) -> Notice:
    return _done(jobs.run(commands.add_note, incident_id, _actor(actor), note))


# --- A storm as a group, merge and split (rule 7 of hotline.paging.commands) ------------------

def _ids(raw: list[str]) -> list[int]:
    return [int(v) for v in raw if v.strip().isdigit()]


def accept_all(incident_ids: list[str], person_key: str, actor: str) -> Notice:
    """Accept every report of a storm (or of the list) for one person: each callout once."""
    person = get_runtime().config.people.get(person_key)
    if person is None:
        return Notice(False, N_("Nobody called %(key)s is in the configuration."), {"key": person_key})
    out = jobs.run(commands.accept_all, _ids(incident_ids), person=person_key, name=person.name,
                   actor=_actor(actor))
    if not out.ok:
        return _done(out)
    return Notice(True, N_("%(n)s reports accepted for %(name)s."), {"n": str(len(out.incident_ids)),
                                                                     "name": person.name})


def close_all(incident_ids: list[str], reason: str, actor: str) -> Notice:
    """Close several reports (a storm, or false alarms picked in the list) with one reason."""
    out = jobs.run(commands.close_all, _ids(incident_ids), _actor(actor), reason)
    if not out.ok:
        return _done(out)
    return Notice(True, N_("%(n)s reports closed."), {"n": str(len(out.incident_ids))})


def merge(incident_id: int, into: str, reason: str, actor: str) -> Notice:
    target = _ids([into])
    if not target:
        return Notice(False, N_("No such incident."))
    return _done(jobs.run(commands.merge, incident_id, target[0], _actor(actor), reason))


def split(incident_id: int, reason: str, actor: str) -> Notice:
    return _done(jobs.run(commands.split, incident_id, _actor(actor), reason,
                          get_runtime().config.section(OncallSettings)))
