"""The SMS channel: texts to the hotline number, offered to every feature's handler in turn."""
