"""Crisis plans: what happens after a report is confirmed as real, in one package.

The commands (`commands.py`: verify, activate, the team, the checklist, statements, the dark
site) and their rules; the plans they follow (`plans.py`, `settings.py`: `plans/` and
`[crisis]`); the crisis engine that notifies the whole team at once (a call and an SMS each,
repeated until they confirm, escalated to a deputy) and reminds owners of overdue steps, with
the same shape as paging's callout engine: pure decisions (`team.py`), sentences
(`phrases.py`), the Twilio edge of `hotline.provider.dialer`, and drivers the convergence cycle
calls (`notify.py`, `reminders.py`); the bridge (`bridge.py`); the crisis panel of the console
(`pages.py`); and the public dark site (`darksite/`).
"""
