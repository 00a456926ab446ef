"""What the dark site shows, as plain data: pure functions over rows, so the page, the Atom feed
and the static export all say the same thing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.base.config import Config
from hotline.base.models import Incident
from hotline.crisis.models import Crisis, CrisisState, CrisisStatement, StatementState
from hotline.crisis.settings import CrisisSettings

WORDS: dict[str, dict[str, str]] = {
    "en-US": {"title": "{org}: official statements", "updated": "Updated", "contact": "Contact us",
              "none": "There are no statements yet.", "feed": "Atom feed", "dormant": "{org}",
              "published": "Published", "language": "English", "entry": "Statement of {time}",
              "preview_tag": "Preview, not public",
              "preview": "Preview: not public. This is how the dark site would look with this draft approved "
                         "and the site switched on; nobody outside sees it yet."},
    "zh-TW": {"title": "{org}：官方聲明", "updated": "更新時間", "contact": "聯絡我們",
              "none": "目前尚無聲明。", "feed": "Atom 訂閱", "dormant": "{org}",
              "published": "發布時間", "language": "中文", "entry": "{time} 發布的聲明",
              "preview_tag": "預覽，尚未公開",
              "preview": "預覽：尚未公開。這是此草稿核准發布、且危機網站開啟後的樣子；目前外界看不到。"},
}


@dataclass(frozen=True)
class Entry:
    id: int
    title: str
    body: str
    body_lang: str  # the language the body is in (another one when this language has none)
    published_at: datetime
    local_time: str


@dataclass(frozen=True)
class Site:
    on: bool
    lang: str
    entries: tuple[Entry, ...]
    contacts: tuple[tuple[str, str], ...]  # (label, number)
    languages: tuple[str, ...]

    @property
    def updated(self) -> datetime | None:
        return self.entries[0].published_at if self.entries else None


def words(lang: str) -> dict[str, str]:
    return WORDS.get(lang, WORDS["en-US"])


def build(s: Session, cfg: Config, lang: str, draft: CrisisStatement | None = None,
          now: datetime | None = None, preview_of: int | None = None) -> Site:
    """The site in `lang`: published statements of crises it is switched on for, newest first.

    With `draft` (the console's preview of a statement): the site as it would be once that draft
    is published at `now` and the dark site is on for its crisis; nothing is written. With
    `preview_of`, a drill crisis's own statements instead (its preview, never public)."""
    zone = ZoneInfo(cfg.timezone)
    # The public site never shows a drill's crisis (hotline.crisis.drillmode rule 2); a drill's
    # preview names its crisis and shows only that one; a draft's preview adds the draft's crisis.
    if preview_of is not None:
        shown = [Crisis.id == preview_of, Incident.drill.is_(True)]
    elif draft is not None:
        shown = [Crisis.state == CrisisState.ACTIVE,
                 Crisis.dark_site_on.is_(True) | (Crisis.id == draft.crisis_id),
                 Incident.drill.is_(False) | (Crisis.id == draft.crisis_id)]
    else:
        shown = [Crisis.state == CrisisState.ACTIVE, Crisis.dark_site_on.is_(True), Incident.drill.is_(False)]
    on = s.scalar(select(Crisis.id).join(Incident, Incident.id == Crisis.incident_id).where(*shown)
                  .limit(1)) is not None
    rows = s.scalars(select(CrisisStatement).join(Crisis, Crisis.id == CrisisStatement.crisis_id)
                     .join(Incident, Incident.id == Crisis.incident_id)
                     .where(*shown, CrisisStatement.state == StatementState.PUBLISHED)
                     .order_by(CrisisStatement.published_at.desc(), CrisisStatement.id.desc())).all()
    published = [(statement, statement.published_at) for statement in rows]
    if draft is not None and now is not None:
        published.insert(0, (draft, now))
    entries = []
    for statement, published_at in published:
        body_lang = lang if statement.bodies.get(lang) else next(iter(statement.bodies), lang)
        assert published_at is not None  # written by the move to PUBLISHED (hotline.crisis.commands)
        local = published_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        # A public heading: the internal type and reference ("cyber-security · 1003") stay inside.
        title = words(lang)["entry"].format(time=local)
        entries.append(Entry(statement.id, title, statement.bodies.get(body_lang, ""), body_lang,
                             published_at, local))
    contacts = tuple((c.label.get(lang) or next(iter(c.label.values()), ""), c.number)
                     for c in cfg.section(CrisisSettings).contacts)
    return Site(on, lang, tuple(entries), contacts, cfg.languages)
