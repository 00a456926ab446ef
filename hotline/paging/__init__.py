"""Paging: incidents and the callouts that page them, together, because the first law spans both.

A report is an incident from the moment the caller picks a type; the lifecycle's commands
(`commands.py`, the one door every channel uses) page it, accept it, stop, close and reopen
it; the callout engine (`callout/`) rings the rota until someone presses 1; the convergence
steps (`cycle.py`) find whatever a lost webhook, job or worker left undone.
"""
