"""Drills: rehearse the callout on real phones, on the sim, or around a table, and measure it.

A drill is a row with its own state and timeline (`models.py`, `state.py`); its commands
(`commands.py`) create, start, inject, stop and finish it and run its part of the convergence
cycle; `report.py` turns a drill into results, `pages.py`/`charts.py` show them, `cli.py`
runs them from a terminal. Paging asks the drills only through `state.py` (a real report stops
every running drill; a drill's callout rings only its participants).
"""
