"""Where an app report was made, for the incident page: coordinates, accuracy, when the phone
knew it, a `geo:` link to open the phone's map app, the configured site it is nearest to, and
whether a photo and a voice memo came with it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.reportapp.models import AppReport
from hotline.reportapp.places import geo_uri


@dataclass(frozen=True)
class AppReportView:
    report_id: int
    made_at: datetime
    lat: float | None
    lon: float | None
    accuracy_m: float | None
    located_at: datetime | None
    site: str | None  # the nearest site's code
    site_name: str | None
    km: float | None
    has_photo: bool
    has_memo: bool = False

    @property
    def geo(self) -> str | None:
        return geo_uri(self.lat, self.lon, self.accuracy_m) if self.lat is not None and self.lon is not None else None


def app_reports_of(s: Session, incident_ids: Sequence[int], sites: Mapping[str, str]) -> dict[int, AppReportView]:
    """Incident id -> the app report that filed it."""
    if not incident_ids:
        return {}
    rows = s.execute(select(AppReport.id, AppReport.incident_id, AppReport.made_at, AppReport.lat, AppReport.lon,
                            AppReport.accuracy_m, AppReport.located_at, AppReport.nearest_site, AppReport.nearest_km,
                            AppReport.photo.is_not(None).label("has_photo"), AppReport.memo_path)
                     .where(AppReport.incident_id.in_(incident_ids)))
    return {r.incident_id: AppReportView(r.id, r.made_at, r.lat, r.lon, r.accuracy_m, r.located_at, r.nearest_site,
                                         sites.get(r.nearest_site or ""), r.nearest_km, bool(r.has_photo),
                                         r.memo_path is not None)
            for r in rows}
