"""The contract kit: declarative cases per dialect, kept next to its mapping, that run against any
server (the facade, or the legacy one it replaces) and say exactly where an answer differs."""
