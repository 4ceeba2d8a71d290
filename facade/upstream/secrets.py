"""Which values of a dialect's requests and answers are secrets, as its mapping says: the Rules that
facade/wire/redact.py applies to everything a comparison records.

In an answer: the places a route's data fills from a secret (facade/upstream/answers.py reads them off
the templates). In a request: the parameters the routes bind to passwords and codes (and those that
must confirm them), where the session token travels, the session and flow cookies, and the app secret.
A name secret on one route is secret on all: a request shown is one the route may not have matched.
"""
from __future__ import annotations

from typing import Iterator

from facade.dialect.declarations import Dialect
from facade.upstream.answers import SECRET_ARGUMENTS, Reading
from facade.wire.redact import Rules


def rules(dialect: Dialect, reading: Reading) -> Rules:
    return Rules(reading.secret, reading.shown, frozenset(name.lower() for name in names(dialect)))


def names(dialect: Dialect) -> Iterator[str]:
    for route in dialect.routes:
        for param in (*route.params, *route.checks):
            if param.target in SECRET_ARGUMENTS:
                yield from param.names
                yield from [param.confirm] if param.confirm else []
    if dialect.session is not None:
        yield from (name for _, name in dialect.session.places)
        yield from [dialect.session.cookie["name"]] if dialect.session.cookie else []
    yield from [dialect.flow_cookie["name"]] if dialect.flow_cookie else []
    yield from [dialect.app.secret[0]] if dialect.app is not None else []
