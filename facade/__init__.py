"""facade: one user-account core behind several legacy HTTP API dialects."""
