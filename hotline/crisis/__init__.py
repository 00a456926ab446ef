"""The crisis engine: after a plan is activated, notify the whole team at once (a call and an SMS
each, repeated until they confirm, escalated to a deputy), and remind owners of overdue steps.

Same shape as `callout/`: pure decisions (`team.py`), sentences (`phrases.py`), the Twilio edge
reused from `hotline.provider.dialer`, and I/O drivers the convergence cycle calls (`notify.py`,
`reminders.py`). Lifecycle rules (who may activate, what is audited) live in
`hotline.crisis.commands`.
"""
