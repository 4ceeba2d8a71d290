"""Delivery of verification codes, one notifier per channel, chosen in config."""
