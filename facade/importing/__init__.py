"""``facade import``: legacy users, sessions and app keys, as a description says."""
