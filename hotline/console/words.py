"""Words the console shows that come from data, not from a template: state names, severities,
roles, the incident fields a caller sets. Listed here as literals so `pybabel extract` puts them
in the catalogue; templates translate them with `_(incident.status)` and the like.
tests/console/test_translations.py checks that every state of every enum is listed.
"""

from __future__ import annotations

from .i18n import N_

INCIDENT_STATES = (N_("new"), N_("recorded"), N_("paging"), N_("unacknowledged"), N_("stopped"),
                   N_("accepted"), N_("closed"))
CALLOUT_STATES = (N_("pending"), N_("dialing"), N_("unacknowledged"), N_("accepted"), N_("cancelled"))
ATTEMPT_STATES = (N_("queued"), N_("ringing"), N_("answered"), N_("accepted"), N_("declined"), N_("no_key"),
                  N_("machine"), N_("too_late"), N_("completed"), N_("no_answer"), N_("busy"), N_("failed"),
                  N_("canceled"))
RECORDING_STATES = (N_("pending"), N_("stored"), N_("failed"))
TRANSCRIPT_STATES = (N_("done"), N_("empty"), N_("failed"), N_("skipped"))
SEVERITIES = (N_("danger"), N_("normal"), N_("unknown"))
ROLES = (N_("admin"), N_("viewer"))
FIELDS = (N_("severity"), N_("callback number"), N_("site"))
HEALTH = (N_("Redis"), N_("Database"), N_("Workers"), N_("Queues"), N_("Models"))
WORKER_STATES = (N_("idle"), N_("busy"), N_("started"), N_("suspended"))
