"""The provider edge: the only code that talks to Twilio's REST API (or the sim playing it).

`rest.py` makes the client, `dialer.py` places, ends and looks up calls and sends SMS,
`media.py` fetches recording audio from the provider and from nowhere else. Features above
reach Twilio only through these; webhooks come in through the channels.
"""
