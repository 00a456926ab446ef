"""The callout engine: who to ring next (`decide.py`, pure), placing and following each call
(`drive.py`, `receive.py`, `watchdog.py`), one callout per storm (`storm.py`), the atomic accept
and what follows it (`closeout.py`, `sms.py`), and what a responder hears (`briefing.py`,
`phrases.py`). Its states are written only through `states.py`.
"""
