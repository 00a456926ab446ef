"""Paging in the registry: incidents and callouts, their jobs, follow-ups and cycle steps, the
incident page's buttons, the call-back list, `run.py callout`, and the words of their states."""

from __future__ import annotations

from hotline.base.registry import Command, Feature
from hotline.paging import cycle, jobs, models, reconcile, search_models
from hotline.web.i18n import N_


def _callout(argv: list[str]) -> int:
    from hotline.paging.cli import main

    return main(argv)


FEATURE = Feature(
    name="paging",
    models=(models, search_models),
    jobs=jobs.SPECS,
    followups=jobs.FOLLOWUPS,
    cycle=(*cycle.STEPS, *reconcile.STEPS),
    commands=(Command("callout", "list|stop|page-again|close|reopen|cycle",
                      "open callouts and who they call; steer paging", _callout, needs_config=False),),
    pages=("hotline.paging.pages", "hotline.paging.callback_pages"),
    words=(
        # incident states
        N_("new"), N_("recorded"), N_("paging"), N_("unacknowledged"), N_("stopped"), N_("accepted"), N_("closed"),
        # callout states
        N_("pending"), N_("dialing"), N_("unacknowledged"), N_("accepted"), N_("cancelled"),
        # attempt states
        N_("queued"), N_("ringing"), N_("answered"), N_("accepted"), N_("declined"), N_("no_key"), N_("machine"),
        N_("too_late"), N_("completed"), N_("no_answer"), N_("busy"), N_("failed"), N_("canceled"),
        # recording and transcript states
        N_("pending"), N_("stored"), N_("failed"), N_("purged"),
        N_("done"), N_("empty"), N_("failed"), N_("skipped"), N_("purged"),
        # what a caller sets, and where a report came from
        N_("danger"), N_("normal"), N_("unknown"), N_("severity"), N_("callback number"), N_("site"), N_("api"),
    ),
)
