"""Words the console shows that come from data, not from a template: state names, severities,
roles, the incident fields a caller sets. Listed here as literals so `pybabel extract` puts them
in the catalogue; templates translate them with `_(incident.status)` and the like.
tests/console/test_translations.py checks that every state of every enum is listed.
"""

from __future__ import annotations

from hotline.web.i18n import N_

INCIDENT_STATES = (N_("new"), N_("recorded"), N_("paging"), N_("unacknowledged"), N_("stopped"),
                   N_("accepted"), N_("closed"))
CALLOUT_STATES = (N_("pending"), N_("dialing"), N_("unacknowledged"), N_("accepted"), N_("cancelled"))
ATTEMPT_STATES = (N_("queued"), N_("ringing"), N_("answered"), N_("accepted"), N_("declined"), N_("no_key"),
                  N_("machine"), N_("too_late"), N_("completed"), N_("no_answer"), N_("busy"), N_("failed"),
                  N_("canceled"))
RECORDING_STATES = (N_("pending"), N_("stored"), N_("failed"), N_("purged"))
TRANSCRIPT_STATES = (N_("done"), N_("empty"), N_("failed"), N_("skipped"), N_("purged"))
SEVERITIES = (N_("danger"), N_("normal"), N_("unknown"))
ROLES = (N_("admin"), N_("viewer"))
FIELDS = (N_("severity"), N_("callback number"), N_("site"))
HEALTH = (N_("Redis"), N_("Database"), N_("Workers"), N_("Queues"), N_("Models"))
WORKER_STATES = (N_("idle"), N_("busy"), N_("started"), N_("suspended"))
DRILL_KINDS = (N_("tabletop"), N_("simulation"), N_("full_scale"), N_("surprise"))
DRILL_STATES = (N_("scheduled"), N_("waiting"), N_("running"), N_("stopped"), N_("finished"))
DRILL_INJECTIONS = (N_("the first responder does not answer"), N_("a second report arrives"),
                    N_("Twilio fails for 2 minutes"))
SOURCES = (N_("api"),)
# What the drills, crisis and legal-hold actions answer (their modules pick one by code).
ACTION_MESSAGES = (
    N_("Tick the box to confirm stopping the drill."),
    N_("Crisis plan"), N_("Crisis plan activated: the team is being called."), N_("Marked as a false alarm."),
    N_("Say why it is a false alarm."), N_("Open the dark site"), N_("The incident is closed."),
    N_("Done"), N_("Step done."), N_("Step reopened."), N_("A statement cannot be empty."),
    N_("Statement drafted: a second person must approve it."), N_("Statement published."),
    N_("You drafted this statement: a second person must approve it."),
    N_("On legal hold: retention keeps its recordings and transcripts."), N_("Already on legal hold."),
    N_("Legal hold released."), N_("It is not on legal hold."), N_("Give a reason."),
)
