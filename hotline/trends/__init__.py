"""Trends across incidents: how fast people are rung, answer and accept (by type, person and hour
of day), unanswered calls per person, reports per week and by type, and false alarms; real
incidents and drills apart."""
