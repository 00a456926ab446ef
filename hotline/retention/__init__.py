"""Retention and legal hold: callers' recordings and transcripts are deleted a set time after
their incident is closed (`purge.py`, a daily step of the convergence cycle), unless a named
person put the report on legal hold (`legal_hold.py`, from the console or `run.py hold`).
"""
