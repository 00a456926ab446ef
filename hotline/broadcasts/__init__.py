"""Broadcasts: a message to groups of the directory over SMS, voice calls, email and web push,
each recipient in their language, with an optional "are you safe?" question whose replies are
tallied live and whose "I need help" answers become incidents that are paged like any report."""
