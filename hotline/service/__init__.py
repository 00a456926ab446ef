"""Process management: the app factory, the supervisor, embedded Redis, the CLI."""
