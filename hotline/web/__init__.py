"""What every console page needs, whichever feature it belongs to: who is asking and the guards
in front of each page (`auth.py`, CSRF included), server-side sessions, the console's own
secrets, the viewer's language and the catalogues, and where a browser may be sent back to.
The console shell (`hotline.console`) and the features' own pages both build on it.
"""
