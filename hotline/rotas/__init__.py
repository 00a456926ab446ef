"""Rotas: who is on call when, and the escalation policies that name them.

`settings.py` reads `[oncall]`, `[rotas.*]` and `[policies.*]` into the shapes of `policy.py`;
`resolve.py` answers "who is on call now, and whom to ring, in order" as pure functions that
paging, the crisis team, drills and the coverage check all use; overrides made in the console
are stored rows (`models.py`, `overrides.py`). Other features build on this package; it builds
on none of them.
"""
