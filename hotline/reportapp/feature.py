"""The reporting app in the registry: `[reportapp]`, its tables (enrolled phones, their reports),
the app's public doors with its JSON API, and the console's page of phones."""

from __future__ import annotations

from hotline.base.config import Config
from hotline.base.registry import Feature, Section
from hotline.reportapp import models, retention, settings
from hotline.web.i18n import N_


def _check(cfg: Config) -> list[str]:
    s = cfg.section(settings.AppSettings)
    return [f"  reporting app: enrolment links last {s.enrol_link_hours} h; "
            f"{len(s.site_locations)} of {len(cfg.sites)} sites have coordinates"]


FEATURE = Feature(
    name="reportapp",
    sections=(Section("reportapp", settings.AppSettings, settings.load_section),),
    models=(models,),
    check=_check,
    media=(retention.KEPT,),
    pages=("hotline.reportapp.api", "hotline.reportapp.pages"),
    words=(N_("pending"), N_("enrolled"), N_("revoked")),  # device states
)
