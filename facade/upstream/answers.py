"""Reading a legacy server's answers with what a dialect's mapping already says of them.

The mapping's templates say how the facade writes an answer; read backwards they say how to read the
legacy server's: whether it is a success (the success envelope's fixed values, at its status: a 200
with a failure code is a failure), what it says of the user (a leaf ``$user.phone`` holds the phone,
``$ids.userId`` the id the legacy server showed), and which of its values change every time or differ
between two servers (tokens, ids, session expiry, codes, file names, timestamps): volatile, compared
for presence only (the rule: facade/wire/volatile.py); and which of them are secrets (tokens, codes, passwords echoed, app secrets), never
shown (facade/wire/redact.py), and which places it fills with what is no secret.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

from facade.core.ports import LegacyAccount
from facade.dialect.declarations import BODY, IDS, PARAMS, Dialect, Route
from facade.dialect.templates import First, Ref, refs
from facade.wire import volatile
from facade.wire.compare import MISSING, at, escape

DATA = "data"  # the success envelope's slot for the route's data
USER = "user"
IDENTITY = ("username", "phone", "email", "passport")  # what a login answer may say of who the user is
# What a route's data may refer to that is a secret: the session's token, a code, and of the request's
# own parameters (``$params.password``) those the core takes as secrets.
SECRET_REFERENCES = frozenset({"token", "code"})
SECRET_ARGUMENTS = frozenset({"password", "password_confirmation", "code", "token"})
SECRET_WORDS = ("secret", "password")  # in any part of a reference: $app.secret, $params.new_password


@dataclass(frozen=True)
class Reading:
    """How one route's answers read."""
    status: int
    fixed: dict[str, Any]  # JSON pointer -> the value every success has there
    data: str | None  # where the route's data sits in the envelope
    facts: dict[str, tuple[str, ...]]  # JSON pointer -> the reference the route's data writes there
    volatile: frozenset[str]
    secret: frozenset[str] = frozenset()  # JSON pointers the route's data fills with a secret
    shown: frozenset[str] = frozenset()  # JSON pointers the mapping fills with what is no secret

    def succeeded(self, status: int, body: Any) -> bool:
        return status == self.status and all(at(body, pointer) == value and type(at(body, pointer)) is type(value)
                                              for pointer, value in self.fixed.items())

    def account(self, body: Any, dialect: Dialect) -> LegacyAccount:
        """What a successful login answer says of the user: identifiers, and ids by namespace."""
        found: dict[str, Any] = {}
        ids: dict[str, tuple[str, str]] = {}
        for pointer, path in self.facts.items():
            value = at(body, pointer)
            if value is MISSING or value is None or isinstance(value, (bool, dict, list)):
                continue
            if path[0] == IDS and path[1] in dialect.ids:
                spec = dialect.ids[path[1]]
                ids[spec.namespace] = (spec.rule, str(value))
            elif path[0] == USER and isinstance(value, str):
                kind = path[1] if path[1] != "passport" else ("email" if "@" in value else "phone")
                found.setdefault(kind, value)
        return LegacyAccount(ids=ids, **found)


def reading(dialect: Dialect, route: Route) -> Reading:
    envelope = dialect.success.body
    data = next((p for p, leaf in _leaves(envelope) if isinstance(leaf, Ref) and leaf.path == (DATA,)), None)
    fixed = {p: leaf for p, leaf in _leaves(envelope) if not _template(leaf) and p != data}
    facts = {_under(data, p): path for p, path in _facts(route.data)} if data is not None else {}
    status = route.success.get("status", dialect.success.status)
    envelopes = list(_envelopes(dialect, route))
    data_leaves = [(_under(data, p), leaf) for p, leaf in _leaves(route.data)] if data is not None else []
    secret = frozenset(p for p, leaf in data_leaves if _hides(leaf))
    changing = volatile.pointers(data=_paths(data_leaves), envelopes=_paths(envelopes))
    return Reading(status, fixed, data, facts, changing, secret,
                   frozenset(p for p, _ in [*envelopes, *data_leaves]) - secret)


def _envelopes(dialect: Dialect, route: Route) -> Iterator[tuple[str, Any]]:
    """(pointer, leaf) of every answer the route may give but its data: the envelopes, the failure and
    outcome bodies."""
    shapes = [dialect.success.body, dialect.failure.body, route.failure_template,
              *(entry[BODY] for table in (dialect.outcomes, route.outcomes) for entry in table.values() if BODY in entry)]
    for shape in shapes:
        yield from _leaves(shape)


def _paths(leaves: list[tuple[str, Any]]) -> Iterator[tuple[str, list[tuple[str, ...]]]]:
    return ((pointer, [ref.path for ref in refs(leaf)]) for pointer, leaf in leaves)


def _hides(leaf: Any) -> bool:
    """A leaf of a route's data filled from a secret. Envelopes and outcome bodies never are: they name
    only the mapping's own slot texts and the request's method, path and status (the loader checks)."""
    return any(ref.path[0] in SECRET_REFERENCES or (ref.path[0] == PARAMS and ref.path[-1] in SECRET_ARGUMENTS)
               or any(word in part for part in ref.path for word in SECRET_WORDS) for ref in refs(leaf))


def _facts(template: Any) -> Iterator[tuple[str, tuple[str, ...]]]:
    """(pointer, reference) where the template writes a user's identifier or id as it is (or as the first
    choice of a $first: what the legacy server, which always had it, put there)."""
    for pointer, leaf in _leaves(template):
        ref = leaf.items[0] if isinstance(leaf, First) else leaf
        if not isinstance(ref, Ref) or len(ref.path) != 2:
            continue
        if (ref.path[0] == USER and ref.path[1] in IDENTITY) or ref.path[0] == IDS:
            yield pointer, ref.path


def _leaves(template: Any, pointer: str = "") -> Iterator[tuple[str, Any]]:
    """(JSON pointer, leaf) for every leaf of a compiled template; a Ref, $first, $join or $choose is a leaf."""
    if isinstance(template, dict):
        for key, value in template.items():
            yield from _leaves(value, f"{pointer}/{escape(key)}")
    elif isinstance(template, list):
        for i, value in enumerate(template):
            yield from _leaves(value, f"{pointer}/{i}")
    elif template is not None or pointer:
        yield pointer, template


def _template(leaf: Any) -> bool:
    return any(True for _ in refs(leaf))


def _under(prefix: str, pointer: str) -> str:
    return prefix + pointer
