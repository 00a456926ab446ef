"""The shared base: config, models and their states, database, runtime, audit, phone numbers."""
