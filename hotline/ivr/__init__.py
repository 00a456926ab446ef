"""The caller's channel: voice webhooks, IVR flows and their engine, roles, PINs by phone, fallback."""
