"""facade: one user-account core behind several legacy HTTP API dialects."""

__version__ = "0.2.0"  # the one place the version is written: setup.cfg reads it from here
