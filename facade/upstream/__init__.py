"""Strangler mode: each dialect's legacy server as an upstream, to proxy routes to, shadow them
against, and move users from on their first login."""
