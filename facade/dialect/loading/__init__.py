"""The stages a mapping goes through at start-up, each a module named for it.

facade/dialect/loader.py runs them in order: read (YAML and the mapping
schema), settings and response schemas (what the mapping refers to), the
dialect's own declarations (envelopes, outcomes, sessions, app), its routes
(parameters, then each route checked against its core operation and its
templates against what that operation returns), and last the paths.
"""
