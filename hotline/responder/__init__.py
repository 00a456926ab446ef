"""The responder's channel: what a rung on-call person hears and presses."""
