"""One call, one incident, even when two paths file it at once.

Found in the multi-node storm (CI): a node slow to answer a caller's choice, Twilio asking the
fallback URL meanwhile, and on PostgreSQL each path saw no incident for the call and filed its
own. The caller's choice must wait for the fallback's row lock and then join its incident.
"""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select, text

from hotline.base.lifecycle import Actor, Channel
from hotline.base.models import Call, Incident
from hotline.paging import commands
from hotline.paging import incidents as rows

SID = "CA" + "7" * 32
CALLER = "+886912345678"


def _waiting_on_a_lock(db) -> bool:
    with db.engine.connect() as c:
        return bool(c.execute(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                   "AND datname = current_database()")).scalar())


@pytest.mark.parametrize("db", ["postgresql"], indirect=True)
def test_a_choice_made_while_the_fallback_files_the_same_call_joins_its_incident(db) -> None:
    with db.session() as s:
        rows.register_call(s, SID, CALLER, "+886277001234")
    fallback = db.sessions()
    commands.take_message(fallback, call_sid=SID, caller_raw=CALLER, to_raw="+886277001234", caller=CALLER,
                          callback=None, lang="zh-TW", record_max_seconds=120)  # not committed yet

    chosen: list[int] = []

    def choose() -> None:
        with db.session() as s:
            out = commands.report(s, call_sid=SID, type_key="reputation", lang="zh-TW", caller=CALLER,
                                  actor=Actor(CALLER, Channel.CALLER), record_max_seconds=120)
            chosen.extend(out.incident_ids)

    chooser = threading.Thread(target=choose)
    chooser.start()
    deadline = time.monotonic() + 10
    while not _waiting_on_a_lock(db):  # the choice has reached the call's row and waits
        assert chooser.is_alive() and time.monotonic() < deadline, "the choice never waited for the fallback"
        time.sleep(0.05)
    fallback.commit()
    fallback.close()
    chooser.join(10)
    assert not chooser.is_alive()

    with db.session() as s:
        incidents = s.scalars(select(Incident).where(Incident.call_sid == SID)).all()
        assert len(incidents) == 1, [(i.id, i.source, i.type_key) for i in incidents]
        assert chosen == [incidents[0].id]
        assert incidents[0].type_key == "reputation"  # the caller's choice classifies the message
        assert s.scalar(select(Call.incident_id).where(Call.sid == SID)) == incidents[0].id
        assert s.scalar(select(func.count()).select_from(Incident)) == 1


def test_a_call_filed_before_its_row_existed_is_joined_by_the_fallback_not_filed_again(db) -> None:
    """A choice filed for a call with no row yet (its /incoming went unrecorded) made an incident
    the call's row could not name; the fallback's message for that call then found no incident
    through the row and filed a second. The unique CallSid joins them on both databases."""
    with db.session() as s:
        chosen = commands.report(s, call_sid=SID, type_key="cyber", lang="en-US", caller=CALLER,
                                 actor=Actor(CALLER, Channel.CALLER), record_max_seconds=120)
    with db.session() as s:
        taken = commands.take_message(s, call_sid=SID, caller_raw=CALLER, to_raw="+886277001234", caller=CALLER,
                                      callback=None, lang="en-US", record_max_seconds=120)
    assert taken.incident_ids == chosen.incident_ids
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Incident)) == 1
        assert s.scalar(select(Call.incident_id).where(Call.sid == SID)) == chosen.incident_ids[0]
        again = commands.report(s, call_sid=SID, type_key="cyber", lang="en-US", caller=CALLER,
                                actor=Actor(CALLER, Channel.CALLER), record_max_seconds=120)
        assert again.incident_ids == chosen.incident_ids
