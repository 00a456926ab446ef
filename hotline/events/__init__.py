"""Events from monitoring tools: the events API (Events API v2, Alertmanager; `api.py`, with its
keys, signatures and rate limits in `auth.py`), the activation rules that decide what an event
does (`rules.py`, `[event_rules.*]`), and the commands through which an event opens, joins or
resolves an incident (`commands.py`), the same lifecycle a phone report goes through.
"""
